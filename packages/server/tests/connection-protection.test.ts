import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { InMemoryConnectionStore } from '@herald/adapters-memory';
import { SystemClock } from '@herald/adapters-node';
import { type ClientActions, ConnectionRegistry, type TokenVerifier } from '@herald/domain';
import { ManualClock, waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionCaps } from '../src/connection-caps.js';
import { createWebSocketEndpoint } from '../src/websocket-endpoint.js';
import { WsConnectionGateway } from '../src/ws-connection-gateway.js';
import { type Client, connect, refusal, startServer, token } from './helpers.js';
import { clientTextFrame, nonReadingWebSocket } from './support/raw-websocket.js';

type Started = Awaited<ReturnType<typeof startServer>>;
const running: Started[] = [];
const cleanups: (() => unknown)[] = [];
const start = async (options: Parameters<typeof startServer>[0] = {}) => {
  const started = await startServer(options);
  running.push(started);
  return started;
};
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await Promise.all(running.splice(0).map((s) => s.server.stop()));
});

/** The status and JSON body a refused upgrade is answered with, read off the wire. */
const upgradeAnswer = (url: string) =>
  new Promise<{ status: number | undefined; body: unknown }>((resolve, reject) => {
    const request = httpRequest(url.replace(/^ws/, 'http'), {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      resolve({ status: 101, body: undefined });
    });
    request.on('response', async (response) => {
      let body = '';
      for await (const chunk of response) body += chunk;
      resolve({ status: response.statusCode, body: JSON.parse(body) });
    });
    request.on('error', reject);
    request.end();
  });

describe('connection caps', () => {
  it('refuses a user past their cap with 429 and the reason, and admits them again once one closes', async () => {
    const { wsUrl, server } = await start({ maxConnectionsPerUser: 2 });
    const jwt = await token({ sub: 'capped' });
    const first = await connect(`${wsUrl}/?authorization=${jwt}`);
    await connect(`${wsUrl}/?authorization=${jwt}`);

    const refused = await upgradeAnswer(`${wsUrl}/?authorization=${jwt}`);
    const otherUser = await refusal(`${wsUrl}/?authorization=${await token({ sub: 'other' })}`);
    await first.close();
    const again = await waitFor(
      async () => ((await refusal(`${wsUrl}/?authorization=${jwt}`)) === 101 ? 101 : undefined),
      { what: 'the freed slot' },
    );

    expect(refused).toEqual({
      status: 429,
      body: { message: 'too many connections for this user' },
    });
    expect(otherUser).toBe(101);
    expect(again).toBe(101);
    expect(server.counters.upgradesRefused.user).toBe(1);
  });

  it("logs a cap's refusals at most once a minute, the next line counting the ones it left out", async () => {
    const clock = new ManualClock();
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const { wsUrl, server } = await start({ maxConnectionsPerUser: 1, clock, logger });
    const url = `${wsUrl}/?authorization=${await token({ sub: 'retrying' })}`;
    await connect(url);

    for (let i = 0; i < 5; i++) expect(await refusal(url)).toBe(429);
    clock.advance(60_000);
    expect(await refusal(url)).toBe(429);

    expect(warn.mock.calls.filter(([message]) => message === 'connection refused')).toEqual([
      ['connection refused', { reason: 'cap_user' }],
      ['connection refused', { reason: 'cap_user', refusedSinceLastLine: 4 }],
    ]);
    expect(server.counters.upgradesRefused.user).toBe(6);
  });

  it('holds 100 connections per user by default', async () => {
    const { wsUrl } = await start();
    const jwt = await token({ sub: 'many-devices' });
    const clients: Client[] = [];

    for (let i = 0; i < 100; i++) clients.push(await connect(`${wsUrl}/?authorization=${jwt}`));
    const hundredFirst = await refusal(`${wsUrl}/?authorization=${jwt}`);

    expect(hundredFirst).toBe(429);
    await Promise.all(clients.map((c) => c.close()));
  }, 30_000);

  it('refuses a source address past its cap with 429, before looking at the token', async () => {
    const { wsUrl, server } = await start({ maxConnectionsPerAddress: 2 });
    await connect(`${wsUrl}/?authorization=${await token({ sub: 'a' })}`);
    await connect(`${wsUrl}/?authorization=${await token({ sub: 'b' })}`);

    const refused = await upgradeAnswer(`${wsUrl}/?authorization=${await token({ sub: 'c' })}`);
    const tokenless = await refusal(`${wsUrl}/`);

    expect(refused).toEqual({
      status: 429,
      body: { message: 'too many connections from this address' },
    });
    expect(tokenless).toBe(429);
    expect(server.counters.upgradesRefused.address).toBe(2);
  });

  it('refuses past the total cap with 503 and the reason', async () => {
    const { wsUrl, server } = await start({ maxConnections: 1 });
    await connect(`${wsUrl}/?authorization=${await token({ sub: 'a' })}`);

    const refused = await upgradeAnswer(`${wsUrl}/?authorization=${await token({ sub: 'b' })}`);

    expect(refused.status).toBe(503);
    expect((refused.body as { message: string }).message).toContain(
      'as many connections as it can',
    );
    expect(server.counters.upgradesRefused.total).toBe(1);
  });

  it('gives a slot back when the handshake itself fails after admission', async () => {
    const { wsUrl } = await start({ maxConnectionsPerUser: 1 });
    const jwt = await token({ sub: 'solo' });
    // Admitted (valid token), then refused by ws: no Sec-WebSocket-Key.
    const broken = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpRequest(`${wsUrl.replace(/^ws/, 'http')}/?authorization=${jwt}`, {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13' },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('error', reject);
      request.end();
    });

    const status = await waitFor(
      async () => ((await refusal(`${wsUrl}/?authorization=${jwt}`)) === 101 ? 101 : undefined),
      { what: 'the slot of the failed handshake' },
    );

    expect(broken).toBe(400);
    expect(status).toBe(101);
  });
});

describe('slow and failing connections', () => {
  it('closes with 1013 and counts a connection that does not read its notifications', async () => {
    const { server, port } = await start({ maxBufferedBytes: 64 * 1024 });
    const socket = await nonReadingWebSocket(
      port,
      `/?authorization=${await token({ sub: 'deaf' })}`,
    );
    cleanups.push(() => socket.destroy());
    await waitFor(() => (server.connectionCount === 1 ? true : undefined), {
      what: 'the connection',
    });
    const chunk = 'x'.repeat(60 * 1024);

    const reports = [];
    for (let i = 0; i < 200 && server.connectionCount > 0; i++)
      reports.push(await server.notify({ users: ['deaf'], data: { chunk } }));

    expect(server.connectionCount).toBe(0);
    expect(server.counters.slowConsumersClosed).toBe(1);
    expect(reports.length).toBeLessThan(200);
  });

  it('closes with 1013 a client that sends frames but never reads the replies', async () => {
    const { server, port } = await start({ maxBufferedBytes: 64 * 1024, rateLimitPerSecond: 1e6 });
    const socket = await nonReadingWebSocket(
      port,
      `/?authorization=${await token({ sub: 'flood' })}`,
    );
    cleanups.push(() => socket.destroy());
    const ping = clientTextFrame('{"action":"ping"}');
    const bad = clientTextFrame('{"action":"dance"}');

    await waitFor(
      () => {
        for (let i = 0; i < 500; i++) socket.write(i % 2 === 0 ? ping : bad);
        return server.counters.slowConsumersClosed === 1 ? true : undefined;
      },
      { timeoutMs: 20_000, what: 'the flooding connection to be closed' },
    );

    await waitFor(() => (server.connectionCount === 0 ? true : undefined), {
      what: 'it to be gone',
    });
  }, 30_000);

  it('closes with 1011 only the connection whose work failed, and keeps serving the others', async () => {
    const clock = new SystemClock();
    const registry = new ConnectionRegistry(new InMemoryConnectionStore(clock), clock, {
      idleTimeoutMs: 60_000,
      maxConnectionAgeMs: 60_000,
    });
    const actions = {
      handle: async (_connection: unknown, frame: { ok: boolean; value?: { action: string } }) => {
        if (frame.ok && frame.value?.action === 'subscribe') throw new Error('a bug');
        return { type: 'pong', connectionId: 'x' };
      },
    } as unknown as ClientActions;
    const verifier = {
      verify: async (raw: string) => ({
        ok: true,
        value: { userId: raw, claims: {}, channels: [] },
      }),
    } as unknown as TokenVerifier;
    const endpoint = createWebSocketEndpoint({
      stage: 'local',
      verifier,
      registry,
      actions,
      gateway: new WsConnectionGateway(),
      clock,
      idleTimeoutMs: 60_000,
      maxConnectionAgeMs: 60_000,
      rateLimitPerSecond: 100,
      caps: new ConnectionCaps({ perUser: 10, perAddress: 10, total: 10 }),
      handshakeTimeoutMs: 5000,
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    });
    const http = createServer();
    http.on('upgrade', (request, socket, head) => endpoint.upgrade(request, socket, head));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await endpoint.close();
      http.close();
    });
    const wsUrl = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const failing = await connect(`${wsUrl}/?authorization=u1`);
    const healthy = await connect(`${wsUrl}/?authorization=u2`);

    failing.send({ action: 'subscribe', channel: 'room-1' });
    const closed = await failing.closed;
    healthy.send({ action: 'ping' });

    expect(closed.code).toBe(1011);
    expect(await healthy.json()).toMatchObject({ type: 'pong' });
    expect(endpoint.connectionsFailed).toBe(1);
  });
});

describe('handshake and request timeouts', () => {
  /** Opens a raw TCP connection, writes `text`, and resolves once the server closed it. */
  const halfRequest = async (port: number, text: string) => {
    const socket = tcpConnect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    let closed = false;
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    socket.write(text);
    return { closed: () => closed, answer: () => answer };
  };

  it('closes a connection that sends only half of its headers once the headers timeout passes', async () => {
    const { port } = await start({ headersTimeoutMs: 300 });
    const opened = Date.now();

    const request = await halfRequest(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await waitFor(() => (request.closed() ? true : undefined), {
      timeoutMs: 5000,
      what: 'the server to close the half request',
    });

    expect(Date.now() - opened).toBeLessThan(5000);
    expect(request.answer()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection that sends nothing at all within the headers timeout', async () => {
    const { port } = await start({ headersTimeoutMs: 300 });

    const request = await halfRequest(port, '');
    await waitFor(() => (request.closed() ? true : undefined), {
      timeoutMs: 5000,
      what: 'the server to close the silent connection',
    });

    expect(request.closed()).toBe(true);
  });

  it('answers 408 an upgrade whose admission (the token check) takes longer than the handshake timeout', async () => {
    const stalled = { verify: () => new Promise(() => undefined) } as unknown as TokenVerifier;
    const { wsUrl, server } = await start({ verifier: stalled, handshakeTimeoutMs: 200 });

    const status = await refusal(`${wsUrl}/?authorization=${await token()}`);

    expect(status).toBe(408);
    expect(server.connectionCount).toBe(0);
  });
});
