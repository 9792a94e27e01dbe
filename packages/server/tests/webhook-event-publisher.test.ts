import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type OutboundEvent, toWireMessage } from '@herald/domain';
import {
  describeEventPublisherContract,
  type PublisherHarness,
  waitFor,
} from '@herald/domain/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CompositeEventPublisher, WebhookEventPublisher } from '../src/index.js';

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A loopback HTTP endpoint answering with the statuses given, in turn, then 200. */
const endpoint = async (statuses: number[] = []) => {
  const received: Received[] = [];
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    received.push({ headers: request.headers, body });
    response.writeHead(statuses.shift() ?? 200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    events: () => received.flatMap((r) => (JSON.parse(r.body) as { events: unknown[] }).events),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const presence = (n: number): OutboundEvent => ({
  kind: 'presence',
  id: `u${n}#1`,
  userId: `u${n}`,
  status: 'ONLINE',
  timestamp: n,
  version: 1,
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

describeEventPublisherContract(
  'WebhookEventPublisher (loopback endpoint)',
  async (): Promise<PublisherHarness> => {
    const hook = await endpoint();
    return {
      publisher: new WebhookEventPublisher({ url: hook.url }),
      received: (count) =>
        waitFor(() => {
          const events = hook.events() as { body: unknown; attributes: Record<string, string> }[];
          if (events.length < count) return undefined;
          return events
            .slice(0, count)
            .map((e) => ({ body: JSON.stringify(e.body), attributes: e.attributes, groupId: '' }));
        }),
      dispose: hook.close,
    };
  },
);

describe('WebhookEventPublisher', () => {
  it('posts events in batches with their wire body and attributes', async () => {
    const hook = await endpoint();
    cleanups.push(hook.close);
    const publisher = new WebhookEventPublisher({ url: hook.url, batchSize: 10 });

    await publisher.publish(Array.from({ length: 25 }, (_, i) => presence(i)));
    await publisher.flush();

    expect(hook.received).toHaveLength(3);
    expect(hook.events()[0]).toEqual({
      body: JSON.parse(toWireMessage(presence(0)).body),
      attributes: toWireMessage(presence(0)).attributes,
    });
  });

  it('signs the timestamp and body with the secret', async () => {
    const hook = await endpoint();
    cleanups.push(hook.close);
    const publisher = new WebhookEventPublisher({
      url: hook.url,
      secret: 'webhook-signing-secret',
    });

    await publisher.publish([presence(1)]);
    await publisher.flush();

    const [{ headers, body }] = hook.received as [Received];
    const expected = createHmac('sha256', 'webhook-signing-secret')
      .update(`${headers['x-herald-timestamp']}.${body}`)
      .digest('hex');
    expect(headers['x-herald-signature']).toBe(`sha256=${expected}`);
  });

  it('retries 5xx and 429 with backoff until the endpoint accepts', async () => {
    const hook = await endpoint([500, 429, 503]);
    cleanups.push(hook.close);
    const dropped: string[] = [];
    const publisher = new WebhookEventPublisher({
      url: hook.url,
      baseDelayMs: 5,
      onDropped: (_, r) => dropped.push(r),
    });

    await publisher.publish([presence(1)]);
    await publisher.flush();

    expect(hook.received).toHaveLength(4);
    expect(dropped).toEqual([]);
  });

  it('reports a batch the endpoint refuses with a 4xx, without retrying it', async () => {
    const hook = await endpoint([400]);
    cleanups.push(hook.close);
    const dropped: [number, string][] = [];
    const publisher = new WebhookEventPublisher({
      url: hook.url,
      onDropped: (n, r) => dropped.push([n, r]),
    });

    await publisher.publish([presence(1), presence(2)]);
    await publisher.flush();

    expect(hook.received).toHaveLength(1);
    expect(dropped).toEqual([[2, 'HTTP 400']]);
  });

  it('reports a batch when the endpoint is unreachable after every attempt', async () => {
    const hook = await endpoint();
    await hook.close();
    const dropped: number[] = [];
    const publisher = new WebhookEventPublisher({
      url: hook.url,
      baseDelayMs: 1,
      maxAttempts: 3,
      onDropped: (n) => dropped.push(n),
    });

    await publisher.publish([presence(1)]);
    await publisher.flush();

    expect(dropped).toEqual([1]);
  });

  it('refuses new events when its queue is full, rather than growing without bound', async () => {
    const dropped: number[] = [];
    const publisher = new WebhookEventPublisher({
      url: 'http://127.0.0.1:9/never',
      maxQueued: 3,
      baseDelayMs: 60_000,
      onDropped: (n) => dropped.push(n),
    });

    await publisher.publish([presence(1), presence(2)]);
    const overflow = publisher.publish([presence(3), presence(4)]);

    await expect(overflow).rejects.toMatchObject({ code: 'output_full' });
    await publisher.close();
    expect(dropped).toEqual([2]);
  });

  it('rejects a publish whose events cannot be serialised, queueing none of them, and keeps delivering', async () => {
    const hook = await endpoint();
    cleanups.push(hook.close);
    const publisher = new WebhookEventPublisher({ url: hook.url });
    const message = (value: unknown): OutboundEvent => ({
      kind: 'client_message',
      route: 'send',
      message: value,
      userId: 'u1',
      connectionId: 'c1',
      timestamp: 1,
    });

    const refused = publisher.publish([message({ n: 'first' }), message({ n: 10n })]);
    await expect(refused).rejects.toThrow();
    await publisher.publish([message({ n: 'after' })]);
    await publisher.flush();

    expect(hook.events().map((e) => (e as { body: unknown }).body)).toEqual([{ n: 'after' }]);
  });
});

describe('CompositeEventPublisher', () => {
  it('reports an output that throws synchronously as a rejection, and still publishes to the others', async () => {
    const received: OutboundEvent[][] = [];
    const throwing = {
      publish: (): Promise<void> => {
        throw new Error('serialiser overflow');
      },
    };
    const recording = {
      publish: async (events: readonly OutboundEvent[]) => void received.push([...events]),
    };
    const composite = new CompositeEventPublisher([throwing, recording]);

    const published = composite.publish([presence(1)]);

    await expect(published).rejects.toBeInstanceOf(AggregateError);
    expect(received).toEqual([[presence(1)]]);
  });
});
