import {
  type BroadcastShard,
  ConnectionRegistry,
  type ContinuationMessage,
  DeliveryExhaustedError,
  encodeContinuationMessage,
  NotificationFanout,
  NotificationIntake,
  type NotificationIntakeOptions,
  parseInboundNotification,
  type ShardQueue,
} from '@herald/domain';
import { ManualClock } from '@herald/domain/testing';
import { describe, expect, it } from 'vitest';
import { InMemoryConnectionGateway, InMemoryConnectionStore } from '../../src/index.js';

const setup = async (connections: number, options: NotificationIntakeOptions = {}) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const store = new InMemoryConnectionStore(clock);
  const registry = new ConnectionRegistry(store, clock);
  const gateway = new InMemoryConnectionGateway(() => clock.now());
  const fanout = new NotificationFanout(registry, gateway, clock, {
    random: () => 0.5,
    concurrency: 4,
    broadcastShards: 2,
    pageSize: 3,
    retry: { baseDelayMs: 100, maxDelayMs: 100, budgetMs: 1000 },
  });
  const ids: string[] = [];
  for (let i = 0; i < connections; i++) {
    const id = gateway.open(`c${i}`);
    await registry.connect(id, { userId: 'alice', channels: [], claims: {} });
    ids.push(id);
  }
  const carried: ContinuationMessage[] = [];
  const shards: { request: unknown; shard: BroadcastShard }[] = [];
  const queue: ShardQueue = {
    enqueue: async (request, list) => {
      for (const shard of list) shards.push({ request, shard });
    },
    carry: async (list) => {
      carried.push(...list);
    },
    deadLetter: async () => {
      throw new Error('this suite refuses no message');
    },
  };
  const intake = new NotificationIntake(fanout, queue, { random: () => 1, ...options });
  /** Parses a body as the queue consumer does, and accepts it with a deadline `ms` from now. */
  const accept = (body: string, ms = 60_000) => {
    const parsed = parseInboundNotification(body, { shard: true });
    if (!parsed.ok || parsed.value.kind === 'batch') throw new Error('bad body');
    return intake.accept(parsed.value, { deadline: clock.now() + ms });
  };
  return { clock, gateway, ids, carried, shards, accept, registry };
};

describe('NotificationIntake', () => {
  it('carries throttled targets to delayed continuations of exactly those connections, with the same id', async () => {
    const { gateway, ids, carried, accept } = await setup(4);
    gateway.behave(ids[1] as string, { kind: 'throttled', times: 100_000 });

    const outcome = await accept('{"users":["alice"],"data":{"n":1},"id":"req-7"}');

    expect(outcome).toMatchObject({ kind: 'delivered', carried: { messages: 1, retried: 1 } });
    expect(carried).toEqual([
      {
        request: { users: ['alice'], data: { n: 1 }, id: 'req-7' },
        requestId: 'req-7',
        continuation: { attempt: 1, connections: [ids[1]] },
        delaySeconds: 5,
      },
    ]);
    for (const id of [ids[0], ids[2], ids[3]])
      expect(gateway.received(id as string)).toHaveLength(1);
  });

  it('delivers a continuation to its connections only, never to the ones the request reached', async () => {
    const { gateway, ids, carried, accept } = await setup(4);
    gateway.behave(ids[2] as string, { kind: 'throttled', times: 3 });
    await accept('{"users":["alice"],"data":{"n":1}}', 50);

    for (let i = 0; carried.length > 0 && i < 10; i++) {
      await accept(encodeContinuationMessage(carried.shift() as ContinuationMessage));
    }

    expect(carried).toEqual([]);
    expect(ids.map((id) => gateway.received(id).length)).toEqual([1, 1, 1, 1]);
  });

  it('doubles the delay with each attempt, up to 900 s, then dead-letters the targets with their reasons', async () => {
    const { gateway, ids, carried, accept } = await setup(1, {
      maxContinuations: 10,
      baseDelaySeconds: 5,
    });
    gateway.behave(ids[0] as string, { kind: 'unreachable', times: 100_000 });
    await accept('{"connectionId":"c0","data":1}');
    const delays: number[] = [];

    let last: ContinuationMessage | undefined;
    for (let i = 0; i < 20; i++) {
      last = carried.shift();
      if (last === undefined || last.continuation.exhausted !== undefined) break;
      delays.push(last.delaySeconds);
      await accept(encodeContinuationMessage(last));
    }

    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
    expect(last?.continuation).toEqual({
      attempt: 11,
      connections: ['c0'],
      exhausted: [{ connectionId: 'c0', reason: 'unreachable' }],
    });
    const dead = accept(encodeContinuationMessage(last as ContinuationMessage));
    await expect(dead).rejects.toBeInstanceOf(DeliveryExhaustedError);
    await expect(dead).rejects.toMatchObject({ code: 'delivery_exhausted' });
  });

  it('hands a shard its cursor after one page, until the shard has reached every connection once', async () => {
    const { gateway, ids, carried, shards, accept } = await setup(20);
    await accept('{"data":{"all":true}}');
    expect(shards).toHaveLength(2);
    const bodies = shards.map(({ request, shard }) =>
      JSON.stringify({ herald_shard: shard, request }),
    );

    let runs = 0;
    while (bodies.length > 0 && runs < 100) {
      const outcome = await accept(bodies.shift() as string);
      runs++;
      if (outcome.kind !== 'split' && outcome.kind !== 'duplicate')
        expect(outcome.report.targeted).toBeLessThanOrEqual(3);
      bodies.push(...carried.splice(0).map(encodeContinuationMessage));
    }

    expect(runs).toBeGreaterThanOrEqual(20 / 3);
    expect(ids.map((id) => gateway.received(id).length)).toEqual(ids.map(() => 1));
  });
});
