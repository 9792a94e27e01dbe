import { Logger } from '@aws-lambda-powertools/logger';
import { waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Client, connect, refusal, startServer, token } from './helpers.js';

type Started = Awaited<ReturnType<typeof startServer>>;
const running: Started[] = [];
const start = async (options: Parameters<typeof startServer>[0] = {}) => {
  const started = await startServer(options);
  running.push(started);
  return started;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.server.stop()));
});

describe('WebSocket endpoint', () => {
  it('accepts the token from every carrier', async () => {
    const { wsUrl } = await start();
    const jwt = await token({ sub: 'carrier-user' });

    const clients: Client[] = [
      await connect(`${wsUrl}/?authorization=${jwt}`),
      await connect(`${wsUrl}/local?token=${jwt}`),
      await connect(`${wsUrl}/`, { headers: { authorization: `Bearer ${jwt}` } }),
      await connect(`${wsUrl}/`, { protocols: ['herald', jwt] }),
    ];

    for (const client of clients) {
      client.send({ action: 'ping' });
      expect(await client.json()).toMatchObject({ type: 'pong' });
    }
  });

  it('echoes exactly one chosen subprotocol, never the token when another was offered', async () => {
    const { wsUrl } = await start();
    const jwt = await token();

    const named = await connect(`${wsUrl}/`, { protocols: ['herald', jwt] });
    const only = await connect(`${wsUrl}/`, { protocols: [jwt] });

    expect(named.socket.protocol).toBe('herald');
    expect(only.socket.protocol).toBe(jwt);
  });

  it('refuses missing, expired and wrongly signed tokens before the upgrade', async () => {
    const { wsUrl, server } = await start();

    expect(await refusal(`${wsUrl}/`)).toBe(401);
    expect(await refusal(`${wsUrl}/?authorization=${await token({}, undefined, -10)}`)).toBe(403);
    expect(
      await refusal(
        `${wsUrl}/?authorization=${await token({}, 'another-secret-of-at-least-32-bytes!!')}`,
      ),
    ).toBe(403);
    expect(await refusal(`${wsUrl}/?authorization=not-a-jwt`)).toBe(403);
    expect(await refusal(`${wsUrl}/elsewhere?authorization=${await token()}`)).toBe(404);
    expect(server.connectionCount).toBe(0);
  });

  it('answers ping with pong and the connection id', async () => {
    const { wsUrl } = await start();
    const client = await connect(`${wsUrl}/?authorization=${await token()}`);

    client.send({ action: 'ping' });

    const pong = (await client.json()) as { type: string; connectionId: string };
    expect(pong.type).toBe('pong');
    expect(pong.connectionId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
  });

  it('answers unknown actions and bad JSON with error frames and keeps the connection open', async () => {
    const { wsUrl } = await start();
    const client = await connect(`${wsUrl}/?authorization=${await token()}`);

    client.send({ action: 'dance' });
    client.send('this is not json');
    client.send({ action: 'subscribe' });
    client.send({ action: 'ping' });

    const replies = (await client.next(4)).map((m) => JSON.parse(m));
    expect(replies.slice(0, 3)).toEqual([
      expect.objectContaining({ type: 'error', code: 'unknown_action' }),
      expect.objectContaining({ type: 'error', code: 'bad_request', field: '$' }),
      expect.objectContaining({ type: 'error', code: 'bad_request', field: 'channel' }),
    ]);
    expect(replies[3]).toMatchObject({ type: 'pong' });
  });

  it('subscribes only to channels the token allows', async () => {
    const { wsUrl } = await start();
    const client = await connect(
      `${wsUrl}/?authorization=${await token({ channels: ['room-1'] })}`,
    );

    client.send({ action: 'subscribe', channel: 'room-1' });
    client.send({ action: 'subscribe', channel: 'room-2' });
    client.send({ action: 'unsubscribe', channel: 'room-1' });

    expect((await client.next(3)).map((m) => JSON.parse(m))).toEqual([
      { type: 'subscribed', channel: 'room-1' },
      expect.objectContaining({ type: 'error', code: 'channel_not_allowed' }),
      { type: 'unsubscribed', channel: 'room-1' },
    ]);
  });

  it('refuses the 101st channel of a connection with too_many_channels, and keeps it open', async () => {
    const { wsUrl } = await start({ rateLimitPerSecond: 1000 });
    const client = await connect(`${wsUrl}/?authorization=${await token({ channels: ['*'] })}`);

    for (let i = 0; i < 101; i++) client.send({ action: 'subscribe', channel: `room-${i}` });
    const replies = (await client.next(101)).map((m) => JSON.parse(m));
    client.send({ action: 'unsubscribe', channel: 'room-0' });
    client.send({ action: 'subscribe', channel: 'room-100' });

    expect(replies.slice(0, 100).every((r) => r.type === 'subscribed')).toBe(true);
    expect(replies[100]).toMatchObject({
      type: 'error',
      code: 'too_many_channels',
      temporary: false,
    });
    expect((await client.next(2)).map((m) => JSON.parse(m))).toEqual([
      { type: 'unsubscribed', channel: 'room-0' },
      { type: 'subscribed', channel: 'room-100' },
    ]);
  });

  it('closes with 1009 on a frame over 32 KB, as API Gateway does', async () => {
    const { wsUrl } = await start();
    const client = await connect(`${wsUrl}/?authorization=${await token()}`);

    client.send({ action: 'send', message: 'x'.repeat(33 * 1024) });

    expect((await client.closed).code).toBe(1009);
  });

  it('logs a client that breaks the protocol at INFO, with its code and no stack, not as a WARN', async () => {
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const info = vi.spyOn(logger, 'info');
    const warn = vi.spyOn(logger, 'warn');
    const { wsUrl } = await start({ logger });
    const client = await connect(`${wsUrl}/?authorization=${await token()}`);

    client.send({ action: 'send', message: 'x'.repeat(33 * 1024) });
    await client.closed;

    expect(info).toHaveBeenCalledWith(
      'connection closed: the client broke the WebSocket protocol',
      {
        code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
        reason: 'Max payload size exceeded',
        connectionId: expect.any(String),
      },
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('accepts a frame just under 32 KB', async () => {
    const { wsUrl, events } = await start();
    const client = await connect(`${wsUrl}/?authorization=${await token()}`);

    client.send({ action: 'send', message: 'x'.repeat(32 * 1024 - 40) });
    await client.roundTrip();

    expect(events.filter((e) => e.kind === 'client_message')).toHaveLength(1);
  });

  it('answers actions over the rate limit with one error frame per second, dropping them, and keeps the connection', async () => {
    const { wsUrl } = await start({ rateLimitPerSecond: 2 });
    const client = await connect(`${wsUrl}/?authorization=${await token()}`);

    for (let i = 0; i < 10; i++) client.send({ action: 'ping' });
    const pongs = () => client.received.filter((m) => m.includes('"pong"')).length;
    await waitFor(() => (pongs() >= 4 ? true : undefined), { what: 'the burst of pongs' });
    await waitFor(
      () => {
        client.send({ action: 'ping' });
        return pongs() > 4 ? true : undefined;
      },
      { intervalMs: 100, what: 'a pong once the bucket refilled' },
    );
    const burst = client.received.slice(
      0,
      client.received.findLastIndex((m) => m.includes('"pong"')),
    );
    const replies = burst.map((m) => JSON.parse(m).type ?? JSON.parse(m).code);

    expect(replies.filter((r) => r === 'pong')).toHaveLength(4);
    expect(replies.filter((r) => r === 'error')).toHaveLength(1);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it('closes an idle connection with 1001', async () => {
    const { wsUrl } = await start({ idleTimeoutMs: 300 });
    const client = await connect(`${wsUrl}/?authorization=${await token()}`);

    const closed = await client.closed;

    expect(closed.code).toBe(1001);
    expect(closed.reason).toContain('idle');
  });

  it('closes a connection at its maximum age with 1001, however busy', async () => {
    const { wsUrl } = await start({ maxConnectionAgeMs: 400, idleTimeoutMs: 60_000 });
    const client = await connect(`${wsUrl}/?authorization=${await token()}`);
    const busy = setInterval(
      () => client.socket.readyState === 1 && client.send({ action: 'ping' }),
      50,
    );

    const closed = await client.closed;
    clearInterval(busy);

    expect(closed.code).toBe(1001);
    expect(closed.reason).toContain('maximum connection age');
  });

  it('forwards send and publish with their attributes', async () => {
    const { wsUrl, events } = await start();
    const client = await connect(`${wsUrl}/?authorization=${await token({ sub: 'sender' })}`);

    client.send({ action: 'send', message: { text: 'to the queue' } });
    client.send({ action: 'publish', message: { text: 'to the topic' } });
    await client.roundTrip();

    const messages = events.filter((e) => e.kind === 'client_message');
    expect(messages).toEqual([
      expect.objectContaining({
        route: 'send',
        message: { text: 'to the queue' },
        userId: 'sender',
      }),
      expect.objectContaining({
        route: 'publish',
        message: { text: 'to the topic' },
        userId: 'sender',
      }),
    ]);
  });

  it('closes every socket with 1001 on stop, recording each disconnect', async () => {
    const started = await startServer();
    const client = await connect(
      `${started.wsUrl}/?authorization=${await token({ sub: 'leaver' })}`,
    );

    await started.server.stop();

    expect((await client.closed).code).toBe(1001);
    const presence = started.events
      .filter((e) => e.kind === 'presence')
      .map((e) => e.kind === 'presence' && e.status);
    expect(presence).toEqual(['ONLINE', 'OFFLINE']);
  });
});
