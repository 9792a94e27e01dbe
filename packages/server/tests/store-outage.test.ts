// A real embedded server process whose DynamoDB freezes mid-traffic: a proxy
// in front of DynamoDB Local stops forwarding and keeps its sockets open, as a
// store that accepted requests and never answers. Errors come within the
// store's call bound, pings keep their pongs, upgrades past the backlog bound
// are refused, and once the store answers again the same process recovers,
// with every notification it accepted delivered.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTables, type PausableProxy, startPausableProxy } from '@herald/adapters-aws/testing';
import { waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { launch } from '../src/testing/index.js';
import { type Client, connect, emulatorEnvironment, SECRET, token } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const BACKEND_KEY = 'store-outage-backend-key';
const STORE_TIMEOUT_MS = 1500;
const STORE_RETRIES = 1;
const MAX_BACKLOG = 6;
/** The longest a store call may take: every attempt, and the SDK's backoff between them (under 200 ms for one retry). */
const CALL_BOUND_MS = STORE_TIMEOUT_MS * (STORE_RETRIES + 1) + 200;
/** What a shared, loaded test machine may add to it. */
const SLACK_MS = 2500;

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: { readonly delivered?: number; readonly error?: { readonly code: string } };
  readonly elapsedMs: number;
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('an embedded node whose store stops answering (DynamoDB Local behind a frozen proxy)', () => {
  it('answers store_unavailable within the call bound, keeps pongs, sheds upgrades, and recovers with nothing accepted lost', {
    timeout: 40_000,
  }, async () => {
    // prepare: a node on DynamoDB through the proxy, with connected users
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm run build" first`);
    const dynamo = new DynamoDBClient({
      endpoint: inject('dynamoEndpoint'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    });
    const tables = await createTables(dynamo);
    const proxy: PausableProxy = await startPausableProxy(inject('dynamoEndpoint'));
    cleanups.push(() => proxy.close());
    const node = launch(
      CLI,
      [
        '--port',
        '0',
        '--jwt-secret',
        SECRET,
        '--backend-key',
        BACKEND_KEY,
        '--connections-table',
        tables.connections,
        '--presence-table',
        tables.presence,
        '--store-timeout-ms',
        String(STORE_TIMEOUT_MS),
        '--store-retries',
        String(STORE_RETRIES),
        '--store-max-backlog',
        String(MAX_BACKLOG),
        '--log-level',
        'WARN',
      ],
      { ...emulatorEnvironment(), AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint },
    );
    cleanups.push(() => node.child.kill('SIGKILL'));
    const baseUrl = await waitFor(
      () => /listening on (http:\/\/\S+)/.exec(node.output.stdout)?.[1],
      {
        timeoutMs: 15_000,
        what: 'the node to start',
      },
    );
    const wsUrl = `${baseUrl.replace('http://', 'ws://')}/`;
    const open = async (user: string): Promise<Client> => {
      const client = await connect(`${wsUrl}?authorization=${await token({ sub: user })}`);
      cleanups.push(() => client.close().catch(() => undefined));
      return client;
    };
    const answers: { user: string; id: string; answer: Answer }[] = [];
    let sent = 0;
    const notify = async (user: string): Promise<Answer> => {
      sent += 1;
      const id = `n-${sent}`;
      const startedAt = Date.now();
      const response = await fetch(`${baseUrl}/notifications`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BACKEND_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ users: [user], data: { id } }),
      });
      const answer: Answer = {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: (await response.json()) as Answer['body'],
        elapsedMs: Date.now() - startedAt,
      };
      answers.push({ user, id, answer });
      return answer;
    };
    // Powertools writes INFO to stdout, WARN and ERROR to stderr.
    const logLines = () =>
      `${node.output.stdout}\n${node.output.stderr}`
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown> & { message: string });
    const users = ['alice', 'bob', 'carol'];
    const clients = new Map<string, Client>();
    for (const user of users) {
      const client = await open(user);
      await client.roundTrip();
      clients.set(user, client);
    }
    const pinger = clients.get('alice') as Client;
    const subscriber = clients.get('bob') as Client;
    await waitFor(async () => ((await notify('carol')).status === 200 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'a first notification to be delivered',
    });

    // act 1: the store freezes
    proxy.pause();
    // Admitted (the upgrade needs no store call), but its registration cannot be stored.
    const late = await open('erin');
    const pongStartedAt = Date.now();
    await pinger.roundTrip();
    const pongMs = Date.now() - pongStartedAt;
    subscriber.send({ action: 'subscribe', channel: 'room-1' });
    const subscribeSentAt = Date.now();
    const frozenAnswer = await notify('carol');
    const subscribeReply = (await subscriber.json()) as { type: string; code?: string };
    const subscribeMs = Date.now() - subscribeSentAt;
    // Enough requests at once to put more store calls in flight than the bound.
    const flood = Promise.all(Array.from({ length: MAX_BACKLOG * 2 }, () => notify('alice')));
    await waitFor(
      () => (logLines().some((l) => l.message.startsWith('store backlog over')) ? true : undefined),
      { timeoutMs: 5000, what: 'the node to start shedding' },
    );
    const shedUpgradeStatus = await upgradeStatus(wsUrl, await token({ sub: 'dave' }));
    const shedRequest = await notify('carol');
    const pongWhileShedding = Date.now();
    await pinger.roundTrip();
    const pongWhileSheddingMs = Date.now() - pongWhileShedding;
    const flooded = await flood;
    const lateClosed = await late.closed;

    // act 2: the store answers again; the same process carries on
    proxy.resume();
    await waitFor(
      () =>
        logLines().some((l) => l.message.startsWith('store backlog back under')) ? true : undefined,
      { timeoutMs: 10_000, what: 'the node to stop shedding' },
    );
    const dave = await open('dave');
    await dave.roundTrip();
    const recovered = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => notify(u)));
    subscriber.send({ action: 'subscribe', channel: 'room-1' });

    // assess: errors within the call bound, pongs at once, shedding refused with 503
    expect(pongMs).toBeLessThan(STORE_TIMEOUT_MS);
    expect(pongWhileSheddingMs).toBeLessThan(STORE_TIMEOUT_MS);
    expect(subscribeReply).toMatchObject({
      type: 'error',
      code: 'store_unavailable',
      temporary: true,
    });
    expect(subscribeMs).toBeLessThan(CALL_BOUND_MS + SLACK_MS);
    expect(frozenAnswer).toMatchObject({
      status: 503,
      retryAfter: expect.stringMatching(/^\d+$/),
      body: { error: { code: 'store_unavailable', temporary: true } },
    });
    expect(frozenAnswer.elapsedMs).toBeLessThan(CALL_BOUND_MS + SLACK_MS);
    for (const answer of flooded) {
      expect(answer.status).toBe(503);
      expect(answer.elapsedMs).toBeLessThan(CALL_BOUND_MS + SLACK_MS);
    }
    expect(lateClosed.code).toBe(1013);
    expect(late.received.map((m) => JSON.parse(m))).toEqual([
      expect.objectContaining({ type: 'error', code: 'store_unavailable', temporary: true }),
    ]);
    expect(shedUpgradeStatus).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
    expect(shedRequest).toMatchObject({
      status: 503,
      body: { error: { code: 'store_unavailable' } },
    });
    expect(shedRequest.retryAfter).toMatch(/^\d+$/);

    // assess: recovery without a restart
    expect(recovered.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    await waitFor(
      () =>
        subscriber.received.includes('{"type":"subscribed","channel":"room-1"}') ? true : undefined,
      { timeoutMs: 5000, what: 'the subscription after recovery' },
    );
    expect(node.child.exitCode).toBeNull();

    // assess: nothing accepted was lost; every refusal said so
    const everyone = new Map([...clients, ['dave', dave]]);
    for (const { user, id, answer } of answers) {
      if (answer.status === 200) {
        expect(answer.body.delivered, `${id} to ${user}`).toBe(1);
        const client = everyone.get(user) as Client;
        await waitFor(
          () => (client.received.some((m) => m.includes(`"${id}"`)) ? true : undefined),
          {
            timeoutMs: 5000,
            what: `${id} at ${user}`,
          },
        );
      } else {
        expect(answer, `${id} to ${user}`).toMatchObject({
          status: 503,
          retryAfter: expect.stringMatching(/^\d+$/),
          body: { error: { code: 'store_unavailable' } },
        });
      }
    }

    // assess: what was logged: each failed call with its operation and table, and shedding once each way
    const logs = logLines();
    const failedCalls = logs.filter((l) => l.message.startsWith('store call failed'));
    expect(failedCalls.length).toBeGreaterThan(0);
    for (const line of failedCalls) {
      expect(line).toMatchObject({ level: 'WARN', operation: expect.any(String) });
      expect([tables.connections, tables.presence]).toContain(line.table);
    }
    const starts = logs.filter((l) => l.message.startsWith('store backlog over'));
    const ends = logs.filter((l) => l.message.startsWith('store backlog back under'));
    expect(starts.length).toBe(ends.length);
    const refusedInAll = ends.reduce((sum, l) => sum + Number(l.refused), 0);
    expect(refusedInAll).toBeGreaterThanOrEqual(2);
    expect(starts.length).toBeLessThan(refusedInAll);
    expect(node.output.stderr).not.toContain(SECRET);
    expect(node.output.stderr).not.toContain(BACKEND_KEY);
  });
});

/** The status and Retry-After of an upgrade the node answers without completing it. */
const upgradeStatus = async (url: string, bearer: string) => {
  return new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
    const socket = new WebSocket(`${url}?authorization=${bearer}`);
    socket.on('unexpected-response', (_request, response) => {
      resolve({
        status: response.statusCode ?? 0,
        retryAfter: response.headers['retry-after'] as string | undefined,
      });
      socket.terminate();
    });
    socket.on('open', () => {
      socket.close();
      resolve({ status: 101, retryAfter: undefined });
    });
    socket.on('error', (error) => reject(error));
  });
};
