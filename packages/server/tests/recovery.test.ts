import { afterEach, describe, expect, it } from 'vitest';
import { type Envelope, nextEnvelopes, positionsOf, resume } from '../src/testing/index.js';
import { connect, post, startServer, token } from './helpers.js';

const USER_ENTRIES = 3;

describe('Recovery on the embedded server: envelopes, resume, idempotent publish', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  const start = async () => {
    const started = await startServer({
      historyRetention: {
        user: { maxEntries: USER_ENTRIES, maxAgeMs: 3_600_000 },
        channel: { maxEntries: 100, maxAgeMs: 3_600_000 },
        broadcast: { maxEntries: 100, maxAgeMs: 3_600_000 },
      },
    });
    stops.push(() => started.server.stop());
    const notify = async (request: unknown) => {
      const response = await post(`${started.url}/notifications`, request);
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    return { ...started, notify };
  };

  const envelopeOf = (stream: string, offset: number, data: unknown): Partial<Envelope> => ({
    type: 'notification',
    stream,
    offset,
    epoch: expect.any(String),
    id: expect.any(String),
    data,
  });

  it('replays exactly the notifications missed on its user and channel streams, in order', async () => {
    const { wsUrl, notify } = await start();
    const jwt = await token({ sub: 'rec-1', channels: ['room-1'] });
    const first = await connect(`${wsUrl}/`, { protocols: ['herald.v1', jwt] });
    const bare = await connect(`${wsUrl}/?authorization=${jwt}`);
    for (const client of [first, bare]) {
      client.send({ action: 'subscribe', channel: 'room-1' });
      expect(await client.json()).toEqual({ type: 'subscribed', channel: 'room-1' });
    }
    await notify({ users: ['rec-1'], data: { n: 1 } });
    await notify({ channels: ['room-1'], data: { n: 2 } });
    const live = await nextEnvelopes(first, 2);
    const positions = positionsOf(live);
    await first.close();

    await notify({ users: ['rec-1'], data: { n: 3 } });
    await notify({ channels: ['room-1'], data: { n: 4 } });
    const fifth = await notify({ users: ['rec-1'], id: 'req-5', data: { n: 5 } });
    await notify({ users: ['someone-else'], data: { n: 99 } });
    const again = await connect(`${wsUrl}/?authorization=${jwt}&protocol=herald.v1`);
    const { replayed, answer } = await resume(again, positions);

    expect(first.socket.protocol).toBe('herald.v1');
    expect(live).toEqual([
      envelopeOf('user:rec-1', 1, { n: 1 }),
      envelopeOf('channel:room-1', 1, { n: 2 }),
    ]);
    expect(await bare.next(5)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}', '{"n":5}']);
    expect(replayed).toEqual([
      envelopeOf('user:rec-1', 2, { n: 3 }),
      { ...envelopeOf('user:rec-1', 3, { n: 5 }), id: 'req-5' },
      envelopeOf('channel:room-1', 2, { n: 4 }),
    ]);
    expect(fifth).toMatchObject({ id: 'req-5', targeted: 1, delivered: 1 });
    expect(answer).toEqual({
      type: 'resumed',
      streams: {
        'user:rec-1': { recovered: true, epoch: live[0]?.epoch, offset: 3 },
        'channel:room-1': { recovered: true, epoch: live[1]?.epoch, offset: 2 },
      },
    });
    await Promise.all([bare.close(), again.close()]);
  });

  it('answers recovered:false when what was missed is past retention, replaying what is kept', async () => {
    const { wsUrl, notify } = await start();
    const jwt = await token({ sub: 'rec-2' });
    const first = await connect(`${wsUrl}/?authorization=${jwt}&protocol=herald.v1`);
    await notify({ users: ['rec-2'], data: { n: 1 } });
    const positions = positionsOf(await nextEnvelopes(first));
    await first.close();

    for (let n = 2; n <= 2 + USER_ENTRIES; n++) await notify({ users: ['rec-2'], data: { n } });
    const again = await connect(`${wsUrl}/?authorization=${jwt}&protocol=herald.v1`);
    const { replayed, answer } = await resume(again, positions);

    expect(replayed.map((e) => e.offset)).toEqual([3, 4, 5]);
    expect(answer).toMatchObject({
      type: 'resumed',
      streams: { 'user:rec-2': { recovered: false, offset: 5 } },
    });
    const fresh = await resume(again, { 'user:rec-2': { epoch: '', offset: 0 } });
    expect(fresh.replayed.map((e) => e.data)).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }]);
    expect(fresh.answer).toMatchObject({ streams: { 'user:rec-2': { recovered: false } } });
    await again.close();
  });

  it('refuses to resume a stream the connection may not read, replaying nothing', async () => {
    const { wsUrl, notify } = await start();
    await notify({ users: ['victim'], data: { secret: true } });
    await notify({ channels: ['private'], data: { secret: true } });
    const jwt = await token({ sub: 'rec-3', channels: ['room-1'] });
    const client = await connect(`${wsUrl}/?authorization=${jwt}&protocol=herald.v1`);

    const other = await resume(client, { 'user:victim': { epoch: '', offset: 0 } });
    const channel = await resume(client, {
      broadcast: { epoch: '', offset: 0 },
      'channel:private': { epoch: '', offset: 0 },
    });

    for (const outcome of [other, channel]) {
      expect(outcome.replayed).toEqual([]);
      expect(outcome.answer).toMatchObject({ type: 'error', code: 'stream_not_allowed' });
    }
    await client.close();
  });

  it('delivers a request sent twice with one id once, and answers the repeat duplicate', async () => {
    const { wsUrl, notify } = await start();
    const jwt = await token({ sub: 'rec-4' });
    const client = await connect(`${wsUrl}/?authorization=${jwt}&protocol=herald.v1`);
    const bare = await connect(`${wsUrl}/?authorization=${jwt}`);

    const firstReport = await notify({ users: ['rec-4'], id: 'once', data: { n: 1 } });
    const repeat = await notify({ users: ['rec-4'], id: 'once', data: { n: 1 } });
    await notify({ users: ['rec-4'], data: { n: 2 } });

    expect(firstReport).toMatchObject({ id: 'once', delivered: 2 });
    expect(repeat).toMatchObject({ id: 'once', duplicate: true, targeted: 0, delivered: 0 });
    const [one, two] = await nextEnvelopes(client, 2);
    expect(one).toMatchObject({ id: 'once', offset: 1, data: { n: 1 } });
    expect(two).toMatchObject({ offset: 2, data: { n: 2 } });
    expect(two?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await bare.next(2)).toEqual(['{"n":1}', '{"n":2}']);
    await Promise.all([client.close(), bare.close()]);
  });
});
