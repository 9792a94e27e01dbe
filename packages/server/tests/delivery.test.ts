import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_KEY, type Client, connect, post, startServer, token } from './helpers.js';

type Started = Awaited<ReturnType<typeof startServer>>;
let started: Started | undefined;
afterEach(async () => {
  await started?.server.stop();
  started = undefined;
});

/** Connects `who` (user, channels) and waits until each subscription is confirmed. */
const population = async (who: [string, string[]][]) => {
  started = await startServer();
  const clients: Client[] = [];
  for (const [user, channels] of who) {
    const client = await connect(`${started.wsUrl}/?authorization=${await token({ sub: user })}`);
    for (const channel of channels) {
      client.send({ action: 'subscribe', channel });
      await client.next(1);
    }
    clients.push(client);
  }
  return { ...started, clients };
};

/** Which clients got exactly one message `{"n": marker}`; checked after a round trip on every client. */
const reachedBy = async (clients: Client[], marker: number) => {
  await Promise.all(clients.map((c) => c.roundTrip()));
  return clients.map((c) => c.received.filter((m) => m === JSON.stringify({ n: marker })).length);
};

const notify = async (url: string, request: unknown) => {
  const response = await post(`${url}/notifications`, request);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('Delivery', () => {
  it('reaches both devices of a user and nobody else', async () => {
    const { url, clients } = await population([
      ['alice', []],
      ['alice', []],
      ['bob', []],
    ]);

    const { status, body } = await notify(url, { users: ['alice'], data: { n: 1 } });

    expect(status).toBe(200);
    expect(body).toMatchObject({ targeted: 2, delivered: 2 });
    expect(await reachedBy(clients, 1)).toEqual([1, 1, 0]);
  });

  it('reaches one connection by its id', async () => {
    const { url, clients } = await population([
      ['alice', []],
      ['alice', []],
    ]);
    const second = clients[1] as Client;
    second.send({ action: 'ping' });
    const { connectionId } = (await second.json()) as { connectionId: string };

    await notify(url, { connectionId, data: { n: 2 } });

    expect(await reachedBy(clients, 2)).toEqual([0, 1]);
  });

  it('reaches a channel, a broadcast, and honours excludes', async () => {
    const { url, clients } = await population([
      ['alice', ['room-1']],
      ['bob', ['room-1']],
      ['carol', []],
    ]);

    await notify(url, { channels: ['room-1'], data: { n: 3 } });
    await notify(url, { data: { n: 4 } });
    await notify(url, { exclude_users: ['bob'], data: { n: 5 } });

    expect(await reachedBy(clients, 3)).toEqual([1, 1, 0]);
    expect(await reachedBy(clients, 4)).toEqual([1, 1, 1]);
    expect(await reachedBy(clients, 5)).toEqual([1, 0, 1]);
  });

  it('accepts every seed format over HTTP', async () => {
    const { url, clients } = await population([
      ['u1', ['room-9']],
      ['u2', []],
    ]);
    const second = clients[1] as Client;
    second.send({ action: 'ping' });
    const { connectionId } = (await second.json()) as { connectionId: string };

    await notify(url, { users: ['u1'], data: { n: 10 } });
    await notify(url, { data: { n: 11 } });
    await notify(url, { userId: 'u2', data: { n: 12 } });
    await notify(url, { connectionId, data: { n: 13 } });
    await notify(url, { user_id: 'u2', room_id: 'room-9', data: { n: 14 } });
    await notify(url, { UserId: 'u1', Body: { n: 15 } });

    const reached = [];
    for (const n of [10, 11, 12, 13, 14, 15]) reached.push(await reachedBy(clients, n));
    expect(reached).toEqual([
      [1, 0],
      [1, 1],
      [0, 1],
      [0, 1],
      [1, 0],
      [1, 0],
    ]);
  });

  it('delivers through notify() in the library API', async () => {
    const { server, clients } = await population([['lib-user', []]]);

    const report = await server.notify({ userId: 'lib-user', data: { n: 20 } });

    expect(report.delivered).toBe(1);
    expect(await reachedBy(clients, 20)).toEqual([1]);
  });

  it('answers a malformed request with 400 naming the field', async () => {
    const { url } = await population([]);

    expect(await notify(url, { users: 'alice', data: 1 })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', field: 'users' } },
    });
    expect(await notify(url, '{"users": [')).toMatchObject({
      status: 400,
      body: { error: { field: '$' } },
    });
    expect(await notify(url, { users: ['a'] })).toMatchObject({
      status: 400,
      body: { error: { field: 'data' } },
    });
  });

  it('delivers the good requests of a batch and reports the bad one', async () => {
    const { url, clients } = await population([['alice', []]]);

    const { status, body } = await notify(url, [
      { users: ['alice'], data: { n: 30 } },
      { users: [42], data: { n: 31 } },
      { userId: 'alice', data: { n: 32 } },
    ]);

    expect(status).toBe(200);
    expect(body.results).toEqual([
      { report: expect.objectContaining({ delivered: 1 }) },
      { error: expect.objectContaining({ code: 'bad_request', field: '[1].users[0]' }) },
      { report: expect.objectContaining({ delivered: 1 }) },
    ]);
    expect(await reachedBy(clients, 30)).toEqual([1]);
    expect(await reachedBy(clients, 32)).toEqual([1]);
  });

  it('refuses oversized data with 413 before posting', async () => {
    const { url, clients } = await population([['alice', []]]);

    const { status, body } = await notify(url, { users: ['alice'], data: 'x'.repeat(130 * 1024) });

    expect(status).toBe(413);
    expect(body).toMatchObject({ error: { code: 'payload_too_large' } });
    await clients[0]?.roundTrip();
    expect(clients[0]?.received.filter((m) => m.includes('xxxx'))).toEqual([]);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const { url } = await population([]);

    const response = await post(`${url}/notifications`, `{"data":"${'x'.repeat(1024 * 1024)}"}`);

    expect(response.status).toBe(413);
  });

  it('requires the backend key', async () => {
    const { url } = await population([]);

    expect((await post(`${url}/notifications`, { data: 1 }, null)).status).toBe(401);
    expect((await post(`${url}/notifications`, { data: 1 }, 'wrong-key')).status).toBe(401);
    expect((await fetch(`${url}/presence?userIds=a`)).status).toBe(401);
  });

  it('answers every HTTP API error with the catalogue body {"error":{code,message,temporary}}', async () => {
    const { url } = await population([]);

    const responses = [
      await post(`${url}/notifications`, { data: 1 }, null),
      await fetch(`${url}/nowhere`),
      await post(`${url}/notifications`, `{"data":"${'x'.repeat(1024 * 1024)}"}`),
      await post(`${url}/notifications`, { users: 'alice', data: 1 }),
      await fetch(`${url}/notifications`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BACKEND_KEY}` },
        body: new Uint8Array([0x7b, 0xff, 0x7d]),
      }),
    ];
    const bodies = await Promise.all(responses.map((r) => r.json()));

    expect(responses.map((r) => r.status)).toEqual([401, 404, 413, 400, 400]);
    expect(responses[0]?.headers.get('www-authenticate')).toBe('Bearer');
    expect(bodies).toEqual([
      { error: { code: 'unauthorized', message: expect.any(String), temporary: false } },
      { error: { code: 'not_found', message: expect.any(String), temporary: false } },
      { error: { code: 'payload_too_large', message: expect.any(String), temporary: false } },
      {
        error: {
          code: 'bad_request',
          field: 'users',
          message: expect.any(String),
          temporary: false,
        },
      },
      { error: { code: 'bad_request', field: '$', message: expect.any(String), temporary: false } },
    ]);
  });

  it('answers /healthz and 404 for unknown routes', async () => {
    const { url } = await population([['alice', []]]);

    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok', connections: 1 });
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
  });
});
