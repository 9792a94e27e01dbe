import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_KEY, connect, startServer, token } from './helpers.js';

type Started = Awaited<ReturnType<typeof startServer>>;
const running: Started[] = [];
const start = async () => {
  const started = await startServer();
  running.push(started);
  return started;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.server.stop()));
});

describe('HTTP API answers to bad input', () => {
  it('answers a known route called with another method 405, with Allow and the catalogue body', async () => {
    const { url } = await start();

    const responses = [
      await fetch(`${url}/notifications`),
      await fetch(`${url}/notifications`, { method: 'PUT', body: '{}' }),
      await fetch(`${url}/presence?userIds=u1`, { method: 'DELETE' }),
      await fetch(`${url}/healthz`, { method: 'POST', body: 'x' }),
    ];
    const bodies = await Promise.all(responses.map((r) => r.json()));

    expect(responses.map((r) => [r.status, r.headers.get('allow')])).toEqual([
      [405, 'POST'],
      [405, 'POST'],
      [405, 'GET'],
      [405, 'GET'],
    ]);
    for (const body of bodies)
      expect(body).toEqual({
        error: { code: 'method_not_allowed', message: expect.any(String), temporary: false },
      });
  });

  it('refuses a POST /notifications body that is not valid UTF-8 with 400 "$: is not valid UTF-8", delivering nothing', async () => {
    const { url, wsUrl } = await start();
    const client = await connect(`${wsUrl}/?authorization=${await token({ sub: 'alice' })}`);
    const invalid = Buffer.concat([
      Buffer.from('{"users":["alice"],"data":"caf'),
      Buffer.from([0xc3]),
      Buffer.from('"}'),
    ]);

    const response = await fetch(`${url}/notifications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BACKEND_KEY}`, 'content-type': 'application/json' },
      body: invalid,
    });
    await client.roundTrip();

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: 'bad_request',
        field: '$',
        message: '$: is not valid UTF-8',
        temporary: false,
      },
    });
    expect(client.received.filter((m) => !m.includes('"pong"'))).toEqual([]);
  });
});
