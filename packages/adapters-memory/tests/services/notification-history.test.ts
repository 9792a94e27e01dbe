import {
  type BroadcastShard,
  ConnectionRegistry,
  type ContinuationMessage,
  encodeContinuationMessage,
  encodeShardMessage,
  NotificationFanout,
  NotificationHistory,
  NotificationIntake,
  type NotificationStamp,
  parseClientFrame,
  parseInboundNotification,
  type ShardQueue,
} from '@herald/domain';
import { ManualClock } from '@herald/domain/testing';
import { describe, expect, it } from 'vitest';
import {
  InMemoryConnectionGateway,
  InMemoryConnectionStore,
  InMemoryHistoryStore,
  InMemoryIdempotencyStore,
} from '../../src/index.js';

const setup = async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const registry = new ConnectionRegistry(new InMemoryConnectionStore(clock), clock);
  const gateway = new InMemoryConnectionGateway(() => clock.now());
  const store = new InMemoryHistoryStore(clock, { epoch: 'e1' });
  let ids = 0;
  const history = new NotificationHistory(store, new InMemoryIdempotencyStore(), clock, {
    idempotencyWindowMs: 60_000,
    newId: () => `gen-${++ids}`,
  });
  const fanout = new NotificationFanout(registry, gateway, clock, {
    history,
    broadcastShards: 2,
    pageSize: 2,
    random: () => 0.5,
    retry: { baseDelayMs: 10, maxDelayMs: 10, budgetMs: 50 },
  });
  const open = async (userId: string, protocol?: 'herald.v1', channels: string[] = []) => {
    const id = gateway.open();
    await registry.connect(id, { userId, channels: ['*'], claims: {} }, protocol);
    for (const channel of channels) await registry.subscribe(id, channel);
    return id;
  };
  const received = (id: string) => gateway.received(id).map((text) => JSON.parse(text));
  const carried: ContinuationMessage[] = [];
  const shards: { body: string }[] = [];
  const queue: ShardQueue = {
    enqueue: async (request, list: readonly BroadcastShard[], stamp?: NotificationStamp) => {
      for (const shard of list) shards.push({ body: encodeShardMessage(request, shard, stamp) });
    },
    carry: async (list) => {
      carried.push(...list);
    },
    deadLetter: async () => {
      throw new Error('this suite refuses no message');
    },
  };
  const intake = new NotificationIntake(fanout, queue, { random: () => 1 });
  const accept = (body: string) => {
    const parsed = parseInboundNotification(body, { shard: true });
    if (!parsed.ok || parsed.value.kind === 'batch') throw new Error(`bad body ${body}`);
    return intake.accept(parsed.value, { deadline: clock.now() + 60_000 });
  };
  return {
    clock,
    registry,
    gateway,
    store,
    history,
    fanout,
    open,
    received,
    accept,
    carried,
    shards,
  };
};

describe('NotificationFanout with history', () => {
  it('frames one envelope per stream for herald.v1 connections, and the bare data for the others', async () => {
    const { fanout, open, received } = await setup();
    const v1 = await open('u1', 'herald.v1', ['room-1']);
    const bare = await open('u1');
    const member = await open('u2', 'herald.v1', ['room-1']);

    const report = await fanout.deliver({
      users: ['u1'],
      channels: ['room-1'],
      connections: [],
      excludeUsers: [],
      excludeConnections: [],
      data: { n: 1 },
    });

    expect(report).toMatchObject({ id: 'gen-1', targeted: 3, delivered: 3 });
    expect(received(v1)).toEqual([
      {
        type: 'notification',
        stream: 'user:u1',
        offset: 1,
        epoch: 'e1.1',
        id: 'gen-1',
        data: { n: 1 },
      },
    ]);
    expect(received(member)).toEqual([
      {
        type: 'notification',
        stream: 'channel:room-1',
        offset: 1,
        epoch: 'e1.2',
        id: 'gen-1',
        data: { n: 1 },
      },
    ]);
    expect(received(bare)).toEqual([{ n: 1 }]);
  });

  it('keeps a request for an offline user, and none for connection ids (no stream)', async () => {
    const { fanout, open, received, store } = await setup();
    const direct = await open('u3', 'herald.v1');

    await fanout.deliver({
      users: ['offline'],
      channels: [],
      connections: [],
      excludeUsers: [],
      excludeConnections: [],
      data: 'kept',
    });
    await fanout.deliver({
      users: [],
      channels: [],
      connections: [direct],
      excludeUsers: [],
      excludeConnections: [],
      data: 'direct',
    });

    expect((await store.read('user:offline', 0)).entries.map((e) => e.data)).toEqual(['"kept"']);
    expect((await store.read('user:u3', 0)).offset).toBe(0);
    expect(received(direct)).toEqual([{ type: 'notification', id: 'gen-2', data: 'direct' }]);
  });
});

describe('NotificationIntake with history', () => {
  it('delivers an id once, and answers the repeat duplicate without posting', async () => {
    const { accept, open, received } = await setup();
    const id = await open('u1', 'herald.v1');

    const first = await accept('{"users":["u1"],"id":"r-1","data":1}');
    const repeat = await accept('{"users":["u1"],"data":1,"id":"r-1"}');

    expect(first).toMatchObject({ kind: 'delivered', report: { id: 'r-1', delivered: 1 } });
    expect(repeat).toEqual({ kind: 'duplicate', id: 'r-1' });
    expect(received(id)).toHaveLength(1);
  });

  it('does not take its own continuations for repeats: they carry the stamp and frame the same envelope', async () => {
    const { accept, open, received, gateway, carried, clock } = await setup();
    const id = await open('u1', 'herald.v1');
    gateway.behave(id, { kind: 'throttled', times: 1_000_000 });

    await accept('{"users":["u1"],"id":"r-2","data":{"n":2}}');
    gateway.behave(id, { kind: 'throttled', times: 0 });
    clock.advance(10_000);
    const continuation = await accept(encodeContinuationMessage(carried[0] as ContinuationMessage));

    expect(carried[0]?.stamp).toEqual({
      id: 'r-2',
      positions: { 'user:u1': { epoch: 'e1.1', offset: 1 } },
    });
    expect(continuation).toMatchObject({ kind: 'delivered', report: { delivered: 1 } });
    expect(received(id)).toEqual([
      {
        type: 'notification',
        stream: 'user:u1',
        offset: 1,
        epoch: 'e1.1',
        id: 'r-2',
        data: { n: 2 },
      },
    ]);
  });

  it('appends a broadcast once, before it splits, and frames every shard with that position', async () => {
    const { accept, open, received, shards, store } = await setup();
    const ids = [await open('a', 'herald.v1'), await open('b', 'herald.v1'), await open('c')];

    const split = await accept('{"data":"all","id":"b-1"}');
    const repeat = await accept('{"data":"all","id":"b-1"}');
    for (const { body } of shards) await accept(body);

    expect(split).toEqual({ kind: 'split', shards: 2, id: 'b-1' });
    expect(repeat).toEqual({ kind: 'duplicate', id: 'b-1' });
    expect((await store.read('broadcast', 0)).offset).toBe(1);
    const envelope = {
      type: 'notification',
      stream: 'broadcast',
      offset: 1,
      epoch: 'e1.1',
      id: 'b-1',
      data: 'all',
    };
    expect(ids.map(received)).toEqual([[envelope], [envelope], ['all']]);
  });
});

describe('NotificationHistory.replay', () => {
  it('says recovered only when every entry after the offset, in its epoch, is replayed', async () => {
    const { history, store } = await setup();
    for (const n of [1, 2, 3])
      await store.append('user:u1', { id: `n${n}`, data: String(n), at: Date.UTC(2026, 0, 1) });

    const caughtUp = await history.replay('user:u1', { epoch: 'e1.1', offset: 1 }, 'u1');
    const otherEpoch = await history.replay('user:u1', { epoch: 'old', offset: 2 }, 'u1');
    const ahead = await history.replay('user:u1', { epoch: 'e1.1', offset: 9 }, 'u1');
    const fromStart = await history.replay('user:u1', { epoch: '', offset: 0 }, 'u1');

    expect(caughtUp).toMatchObject({ recovered: true, position: { epoch: 'e1.1', offset: 3 } });
    expect(caughtUp.entries.map((e) => e.offset)).toEqual([2, 3]);
    expect(otherEpoch.recovered).toBe(false);
    expect(otherEpoch.entries.map((e) => e.offset)).toEqual([1, 2, 3]);
    expect(ahead).toMatchObject({ recovered: false, entries: [] });
    expect(fromStart.recovered).toBe(true);
  });

  it('leaves out entries the request excluded the user from', async () => {
    const { history, store, clock } = await setup();
    await store.append('broadcast', { id: 'x', data: '1', at: clock.now(), excludeUsers: ['u9'] });

    expect((await history.replay('broadcast', { epoch: 'e1', offset: 0 }, 'u9')).entries).toEqual(
      [],
    );
    expect(
      (await history.replay('broadcast', { epoch: 'e1', offset: 0 }, 'u1')).entries,
    ).toHaveLength(1);
  });
});

describe('the resume frame', () => {
  it.each([
    ['{"action":"resume"}', 'streams'],
    ['{"action":"resume","streams":{}}', 'streams'],
    ['{"action":"resume","streams":{"nowhere":{"offset":0}}}', 'streams["nowhere"]'],
    [
      '{"action":"resume","streams":{"channel:bad name":{"offset":0}}}',
      'streams["channel:bad name"]',
    ],
    [
      '{"action":"resume","streams":{"broadcast":{"offset":-1,"epoch":"e"}}}',
      'streams["broadcast"].offset',
    ],
    ['{"action":"resume","streams":{"broadcast":{"offset":3}}}', 'streams["broadcast"].epoch'],
    ['{"action":"resume","streams":{"__proto__":{"offset":0}}}', 'streams["__proto__"]'],
  ])('refuses %s naming %s', (frame, field) => {
    const parsed = parseClientFrame(frame);

    expect(parsed.ok).toBe(false);
    expect(
      parsed.ok
        ? undefined
        : { code: parsed.error.code, field: (parsed.error as { field?: string }).field },
    ).toEqual({ code: 'bad_request', field });
  });

  it('takes an offset of 0 without an epoch', () => {
    expect(parseClientFrame('{"action":"resume","streams":{"user:u1":{"offset":0}}}')).toEqual({
      ok: true,
      value: { action: 'resume', streams: { 'user:u1': { epoch: '', offset: 0 } } },
    });
  });
});
