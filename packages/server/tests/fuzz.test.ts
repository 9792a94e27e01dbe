import { Agent, request as httpRequest } from 'node:http';
import { waitFor } from '@herald/domain/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, connect, signTestToken } from '../src/testing/index.js';
import {
  type HeraldProcess,
  killHeraldProcesses,
  startHeraldProcess,
} from './support/herald-process.js';

const RUNS = 200;
let herald: HeraldProcess;
// A fresh connection per request: a keep-alive socket the server closed after an
// error answer would fail the next request on the client's side, not the server's.
const agent = new Agent({ keepAlive: false });

beforeAll(async () => {
  // Rate limit out of the way: every fuzzed frame must reach the protocol service.
  herald = await startHeraldProcess({ args: ['--rate-limit', '100000'] });
}, 20_000);
afterAll(() => {
  agent.destroy();
  killHeraldProcesses();
});

/** One raw HTTP exchange, with the path and headers exactly as given; resolves with the status. */
const exchange = (
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Uint8Array | string,
) =>
  new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: herald.port, method, path, headers, agent },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path} got no answer in 5 s`)));
    req.on('error', reject);
    req.end(body);
  });

/** After each property: the process runs and a new client gets its pong within 2 s. */
const assertStillServing = async () => {
  expect(herald.alive()).toBe(true);
  const client = await connect(
    `${herald.wsUrl}?authorization=${await signTestToken({ sub: 'probe' })}`,
  );
  client.socket.send('{"action":"ping"}');
  await waitFor(() => (client.received.some((m) => m.includes('"pong"')) ? true : undefined), {
    timeoutMs: 2000,
    what: 'a pong within 2 s',
  });
  await client.close();
};

const actions = fc.constantFrom('ping', 'send', 'publish', 'subscribe', 'unsubscribe', 'dance', '');
const frames = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
  fc
    .record(
      {
        action: actions,
        message: fc.jsonValue({ maxDepth: 6 }),
        channel: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['action'] },
    )
    .map((frame) => JSON.stringify(frame)),
  fc
    .integer({ min: 60, max: 200 })
    .map((depth) => `{"action":"send","message":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.uint8Array({ maxLength: 200 }),
);

describe('fuzzing a Herald process', () => {
  it('stays up and keeps answering pings whatever frames a client sends', async () => {
    let client: Client | undefined;
    const sender = async () => {
      if (client === undefined || client.socket.readyState !== client.socket.OPEN) {
        client = await connect(
          `${herald.wsUrl}?authorization=${await signTestToken({ sub: 'fuzzer' })}`,
        );
      }
      return client;
    };

    await fc.assert(
      fc.asyncProperty(frames, async (frame) => {
        const c = await sender();
        c.socket.send(frame, { binary: typeof frame !== 'string' });
      }),
      { numRuns: RUNS },
    );
    const last = await sender();
    await last.roundTrip();
    await last.close();

    await assertStillServing();
  }, 30_000);

  it('never answers 5xx to random bodies and headers on POST /notifications', async () => {
    const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,20}$/);
    const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
    const body = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue({ maxDepth: 5 }).map((value) => JSON.stringify(value)),
      fc
        .record(
          {
            users: fc.jsonValue({ maxDepth: 2 }),
            channels: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
            data: fc.jsonValue({ maxDepth: 4 }),
            id: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
      fc.uint8Array({ maxLength: 300 }),
    );
    const statuses: number[] = [];

    await fc.assert(
      fc.asyncProperty(
        body,
        fc.option(
          fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', '*/*'),
        ),
        fc.constantFrom('key', 'wrong', 'none'),
        fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
        async (sent, contentType, auth, extra) => {
          const headers: Record<string, string> = { ...extra };
          if (contentType !== null) headers['content-type'] = contentType;
          if (auth !== 'none')
            headers.authorization = `Bearer ${auth === 'key' ? herald.backendKey : 'not-the-key-at-all'}`;
          const status = await exchange('POST', '/notifications', headers, sent);
          statuses.push(status);
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );

    expect(statuses.length).toBeGreaterThanOrEqual(RUNS);
    await assertStillServing();
  }, 60_000);

  it('never answers 5xx to random management API paths and methods, or to any method on the known routes', async () => {
    const pathChars = fc.constantFrom(
      ...'abcXYZ019-_.~%25%2F%GG%e2%82%ZZ/?=&+:@!$'.split(''),
      '%',
      '%2',
      '%zz',
      '%c3%28',
      '%00',
    );
    const id = fc.array(pathChars, { maxLength: 30 }).map((parts) => parts.join(''));
    const path = fc.oneof(
      id.map((s) => `/@connections/${s}`),
      id.map((s) => `/@connections${s}`),
      fc.constantFrom('/notifications', '/presence', '/healthz', '/presence?userIds=', '/'),
    );
    const method = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD');

    await fc.assert(
      fc.asyncProperty(path, method, fc.string({ maxLength: 100 }), async (target, verb, sent) => {
        const status = await exchange(
          verb,
          target,
          { authorization: `Bearer ${herald.backendKey}` },
          verb === 'GET' || verb === 'HEAD' ? undefined : sent,
        );
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );

    await assertStillServing();
  }, 60_000);
});
