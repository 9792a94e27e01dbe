import {
  type BroadcastShard,
  ConfigurationError,
  type ConnectionGateway,
  ConnectionRegistry,
  NotificationFanout,
  type NotificationFanoutOptions,
  type NotificationRequest,
  PayloadTooLargeError,
  ValidationError,
} from '@herald/domain';
import { ManualClock } from '@herald/domain/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemoryConnectionGateway, InMemoryConnectionStore } from '../../src/index.js';

const request = (fields: Partial<NotificationRequest>): NotificationRequest => ({
  users: [],
  connections: [],
  channels: [],
  excludeUsers: [],
  excludeConnections: [],
  data: { type: 'notification', message: 'hi' },
  ...fields,
});

const setup = (options: NotificationFanoutOptions = {}) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const store = new InMemoryConnectionStore(clock);
  const registry = new ConnectionRegistry(store, clock);
  const gateway = new InMemoryConnectionGateway(() => clock.now());
  const fanout = new NotificationFanout(registry, gateway, clock, {
    random: () => 0.5,
    ...options,
  });
  let next = 0;
  const connect = async (userId: string, channels: readonly string[] = []) => {
    const connectionId = gateway.open(`${userId}-${next++}`);
    await registry.connect(connectionId, { userId, channels: ['*'], claims: {} });
    for (const channel of channels) await registry.subscribe(connectionId, channel);
    return connectionId;
  };
  const reached = (ids: readonly string[]) =>
    ids.filter((id) => gateway.received(id).length > 0).sort();
  return { clock, store, registry, gateway, fanout, connect, reached };
};

describe('NotificationFanout', () => {
  it('delivers to every device of the targeted users and to no one else', async () => {
    const { fanout, connect, reached, gateway } = setup();
    const all = [
      await connect('alice'),
      await connect('alice'),
      await connect('bob'),
      await connect('carol'),
    ];

    const report = await fanout.deliver(request({ users: ['alice'] }));

    expect(reached(all)).toEqual(['alice-0', 'alice-1']);
    expect(gateway.received('alice-0')).toEqual(['{"type":"notification","message":"hi"}']);
    expect(report).toMatchObject({ targeted: 2, delivered: 2, gone: 0, failed: 0 });
  });

  it('delivers by connection and by channel, once per connection, minus the excluded', async () => {
    const { fanout, connect, reached } = setup();
    const a = await connect('alice', ['room-1']);
    const b = await connect('bob', ['room-1']);
    const c = await connect('carol', ['room-1']);
    const d = await connect('dave');
    const e = await connect('erin', ['room-2']);

    const report = await fanout.deliver(
      request({
        users: ['alice'],
        channels: ['room-1'],
        connections: [a, d],
        excludeUsers: ['bob'],
        excludeConnections: [c],
      }),
    );

    expect(reached([a, b, c, d, e])).toEqual([a, d].sort());
    expect(report.targeted).toBe(2);
  });

  it('excludes a user even when targeted by connection id', async () => {
    const { fanout, connect, reached } = setup();
    const a = await connect('alice');
    const b = await connect('bob');

    await fanout.deliver(request({ connections: [a, b], excludeUsers: ['bob'] }));

    expect(reached([a, b])).toEqual([a]);
  });

  it('broadcasts to everyone except the excluded when no target is named', async () => {
    const { fanout, connect, reached } = setup();
    const ids = await Promise.all(['u1', 'u2', 'u3', 'u4', 'u5'].map((u) => connect(u)));

    const report = await fanout.deliver(
      request({ excludeUsers: ['u2'], excludeConnections: [ids[4] as string] }),
    );

    expect(reached(ids)).toEqual([ids[0], ids[2], ids[3]].sort());
    expect(report.delivered).toBe(3);
  });

  it('never has more posts in flight than its concurrency bound', async () => {
    const { fanout, connect, gateway } = setup({ concurrency: 4 });
    for (let i = 0; i < 40; i++) await connect('crowd');

    await fanout.deliver(request({ users: ['crowd'] }));

    expect(gateway.posts).toHaveLength(40);
    expect(gateway.maxInFlight).toBe(4);
  });

  it('encodes the payload once per request and posts the same bytes to every target', async () => {
    const { fanout, connect, gateway } = setup();
    for (let i = 0; i < 10; i++) await connect('u', ['room']);
    let encodings = 0;
    const data = {
      toJSON: () => {
        encodings++;
        return { n: 1 };
      },
    };

    await fanout.deliver(request({ channels: ['room'], data }));

    expect(encodings).toBe(1);
    expect(new Set(gateway.posts.map((p) => p.payload)).size).toBe(1);
  });

  it('encodes a broadcast once across all its shards', async () => {
    const { fanout, connect } = setup({ broadcastShards: 3 });
    for (let i = 0; i < 9; i++) await connect(`u${i}`);
    let encodings = 0;

    const data = {
      toJSON: () => {
        encodings++;
        return 'x';
      },
    };

    await fanout.deliver(request({ data }));

    expect(encodings).toBe(1);
  });

  it('removes a connection the gateway reports gone', async () => {
    const { fanout, connect, gateway, registry } = setup();
    const live = await connect('alice');
    const stale = await connect('alice');
    gateway.behave(stale, { kind: 'gone' });

    const report = await fanout.deliver(request({ users: ['alice'] }));

    expect(report).toMatchObject({ targeted: 2, delivered: 1, gone: 1 });
    expect(await registry.get(stale)).toBeUndefined();
    expect((await registry.listByUser('alice')).map((r) => r.connectionId)).toEqual([live]);
  });

  it('retries a throttled post with growing jittered backoff, then delivers', async () => {
    const { fanout, connect, gateway, clock } = setup({
      retry: { baseDelayMs: 100, maxDelayMs: 1000, budgetMs: 10_000 },
    });
    const id = await connect('alice');
    gateway.behave(id, { kind: 'throttled', times: 3 });

    const report = await fanout.deliver(request({ users: ['alice'] }));

    expect(report).toMatchObject({ targeted: 1, delivered: 1, retries: 3, throttled: 0 });
    expect(clock.sleeps).toEqual([50, 100, 200]);
    expect(gateway.received(id)).toHaveLength(1);
  });

  it('gives up on a throttled post when the time budget runs out, and reports it', async () => {
    const { fanout, connect, gateway } = setup({
      retry: { baseDelayMs: 100, maxDelayMs: 1000, budgetMs: 1000 },
    });
    const id = await connect('alice');
    const other = await connect('alice');
    gateway.behave(id, { kind: 'throttled', times: 1000 });

    const report = await fanout.deliver(request({ users: ['alice'] }));

    expect(report).toMatchObject({ targeted: 2, delivered: 1, throttled: 1 });
    expect(report.retries).toBeGreaterThan(0);
    expect(gateway.received(other)).toHaveLength(1);
  });

  it('starts no post once the deadline has passed, and carries the unstarted targets', async () => {
    const { connect, gateway, clock, registry } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await connect('alice'));
    // Each post takes 10 ms of the clock.
    const slow: ConnectionGateway = {
      post: (id, payload) => {
        clock.advance(10);
        return gateway.post(id, payload);
      },
      disconnect: (id) => gateway.disconnect(id),
      get: (id) => gateway.get(id),
    };
    const fanout = new NotificationFanout(registry, slow, clock, { concurrency: 1 });

    const report = await fanout.deliver(request({ users: ['alice'] }), {
      deadline: clock.now() + 25,
    });

    expect(report).toMatchObject({ targeted: 5, delivered: 3, throttled: 0, unstarted: 2 });
    expect(gateway.posts).toHaveLength(3);
    const reached = ids.filter((id) => gateway.received(id).length > 0);
    expect([...report.carry.unstarted, ...reached].sort()).toEqual([...ids].sort());
  });

  it('retries an unreachable gateway like throttling, and carries it when retries stop', async () => {
    const { fanout, connect, gateway } = setup({
      retry: { baseDelayMs: 100, maxDelayMs: 1000, budgetMs: 1000 },
    });
    const flaky = await connect('alice');
    const down = await connect('alice');
    gateway.behave(flaky, { kind: 'unreachable', times: 2 });
    gateway.behave(down, { kind: 'unreachable', times: 1000 });

    const report = await fanout.deliver(request({ users: ['alice'] }));

    expect(report).toMatchObject({ targeted: 2, delivered: 1, throttled: 1, failed: 0 });
    expect(report.carry.retry).toEqual([{ connectionId: down, reason: 'unreachable' }]);
    expect(gateway.received(flaky)).toHaveLength(1);
  });

  it('runs a shard page by page from its cursor, reaching every connection once across runs', async () => {
    const { fanout, connect, gateway } = setup({ broadcastShards: 2, pageSize: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 37; i++) ids.push(await connect(`user-${i}`));

    let runs = 0;
    for (const shard of fanout.broadcastShards()) {
      let resume: { cursor?: string } | undefined = {};
      while (resume !== undefined) {
        const report = await fanout.deliverShard(request({}), shard, { ...resume, maxPages: 2 });
        runs++;
        expect(report.targeted).toBeLessThanOrEqual(10);
        const next = report.carry.shards[0];
        resume =
          next === undefined ? undefined : next.cursor === undefined ? {} : { cursor: next.cursor };
      }
    }

    expect(runs).toBeGreaterThan(4);
    expect(ids.map((id) => gateway.received(id).length)).toEqual(ids.map(() => 1));
  });

  it('streams a shard across pages: a slow post does not hold the next page back', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
    const registry = new ConnectionRegistry(new InMemoryConnectionStore(clock), clock);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(`c${i}`);
      await registry.connect(`c${i}`, { userId: `u${i}`, channels: [], claims: {} });
    }
    // The first post answers only once every other target has been posted:
    // a fanout that finishes a page before it starts the next never gets there.
    const posted: string[] = [];
    let release: (outcome: 'delivered') => void = () => undefined;
    const held = new Promise<'delivered'>((resolve) => {
      release = resolve;
    });
    const gateway: ConnectionGateway = {
      post: (connectionId) => {
        posted.push(connectionId);
        if (posted.length === ids.length) release('delivered');
        return posted.length === 1 ? held : 'delivered';
      },
      disconnect: async () => 'gone',
      get: async () => undefined,
    };
    const fanout = new NotificationFanout(registry, gateway, clock, {
      concurrency: 2,
      pageSize: 2,
      broadcastShards: 1,
    });
    const [shard] = fanout.broadcastShards();

    const report = await fanout.deliverShard(request({}), shard as BroadcastShard);

    expect([...posted].sort()).toEqual(ids);
    expect(report).toMatchObject({ targeted: 7, delivered: 7, unstarted: 0 });
    expect(report.carry.shards).toEqual([]);
  }, 5000);

  it('refuses an oversized payload before any post', async () => {
    const { fanout, connect, gateway } = setup();
    await connect('alice');

    const delivery = fanout.deliver(request({ users: ['alice'], data: 'x'.repeat(128 * 1024) }));

    await expect(delivery).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(gateway.posts).toHaveLength(0);
  });

  it('refuses data that cannot be encoded as JSON, naming the field', async () => {
    const { fanout } = setup();

    const delivery = fanout.deliver(request({ data: { big: 1n } }));

    await expect(delivery).rejects.toBeInstanceOf(ValidationError);
    await expect(delivery).rejects.toMatchObject({ field: 'data' });
  });

  it('reports per-connection failures and still delivers to the others', async () => {
    const { fanout, connect, gateway } = setup();
    const ok = await connect('alice');
    const tooLarge = await connect('alice');
    const broken = await connect('alice');
    gateway.behave(tooLarge, { kind: 'payload_too_large' });
    gateway.behave(broken, {
      kind: 'error',
      error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    });

    const report = await fanout.deliver(request({ users: ['alice'] }));

    expect(report).toMatchObject({ targeted: 3, delivered: 1, failed: 2 });
    expect(report.failures).toEqual(
      expect.arrayContaining([
        { connectionId: tooLarge, reason: 'payload_too_large' },
        { connectionId: broken, reason: 'ECONNRESET' },
      ]),
    );
    expect(gateway.received(ok)).toHaveLength(1);
  });

  it('stops and rejects on a configuration error from the gateway', async () => {
    const { fanout, connect, gateway } = setup({ concurrency: 1 });
    const first = await connect('alice');
    await connect('alice');
    gateway.behave(first, {
      kind: 'error',
      error: new ConfigurationError('endpoint', 'forbidden'),
    });

    await expect(fanout.deliver(request({ users: ['alice'] }))).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    expect(gateway.posts).toHaveLength(1);
  });

  it('splits a broadcast into shards that reach every connection exactly once', async () => {
    const { fanout, connect, gateway } = setup({ broadcastShards: 4, pageSize: 7 });
    const ids: string[] = [];
    for (let i = 0; i < 103; i++) ids.push(await connect(`user-${i % 17}`));

    const reports = [];
    for (const shard of fanout.broadcastShards())
      reports.push(await fanout.deliverShard(request({}), shard));

    expect(reports.filter((r) => r.targeted > 0).length).toBeGreaterThan(1);
    expect(reports.reduce((sum, r) => sum + r.delivered, 0)).toBe(103);
    expect(ids.map((id) => gateway.received(id).length)).toEqual(ids.map(() => 1));
  });

  it('reports counts that add up to the targets, whatever the gateway answers', async () => {
    const outcome = fc.oneof(
      fc.constant({ kind: 'ok' as const }),
      fc.constant({ kind: 'gone' as const }),
      fc.constant({ kind: 'payload_too_large' as const }),
      fc.integer({ min: 1, max: 40 }).map((times) => ({ kind: 'throttled' as const, times })),
      fc.constant({ kind: 'error' as const, error: new Error('boom') }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(outcome, { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        async (outcomes, broadcast) => {
          const { fanout, connect, gateway } = setup({
            concurrency: 3,
            retry: { baseDelayMs: 10, maxDelayMs: 100, budgetMs: 500 },
          });
          for (const behaviour of outcomes) {
            const id = await connect('someone');
            if (behaviour.kind !== 'ok') gateway.behave(id, behaviour);
          }

          const report = await fanout.deliver(request(broadcast ? {} : { users: ['someone'] }));

          expect(report.targeted).toBe(outcomes.length);
          expect(report.delivered + report.gone + report.throttled + report.failed).toBe(
            report.targeted,
          );
          expect(report.gone).toBe(outcomes.filter((o) => o.kind === 'gone').length);
        },
      ),
      { numRuns: 60 },
    );
  });
});
