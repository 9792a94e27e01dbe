import {
  ConnectionRegistry,
  type OutboundEvent,
  type PresenceEvent,
  type PresenceRecord,
  type PresenceStore,
  PresenceTracker,
} from '@herald/domain';
import {
  connectionRecord,
  expectedTransitions,
  ManualClock,
  type PresenceScenario,
  presenceScenarioArbitrary,
  replayScenario,
  usersOnlineAt,
} from '@herald/domain/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InMemoryConnectionStore,
  InMemoryEventPublisher,
  InMemoryPresenceStore,
  type InMemoryPresenceStoreOptions,
} from '../../src/index.js';

const setup = (store: PresenceStore = new InMemoryPresenceStore(), maxConnectionAgeMs = 4000) => {
  const clock = new ManualClock(0);
  const publisher = new InMemoryEventPublisher();
  const tracker = new PresenceTracker(store, publisher, clock, { maxConnectionAgeMs });
  return { clock, publisher, tracker };
};

const statusesOf = (events: readonly OutboundEvent[], userId: string) =>
  events
    .filter((e): e is PresenceEvent => e.kind === 'presence' && e.userId === userId)
    .map((e) => e.status);

/** Unique events in commit order (the version in their id). */
const committed = (events: readonly OutboundEvent[]) =>
  [
    ...new Map(
      events.filter((e): e is PresenceEvent => e.kind === 'presence').map((e) => [e.id, e]),
    ).values(),
  ].sort((a, b) => Number(a.id.split('#')[1]) - Number(b.id.split('#')[1]));

/** A store whose every call waits for the scheduler, so racing writers interleave at random. */
const scheduled = (inner: PresenceStore, s: fc.Scheduler): PresenceStore => ({
  get: (userId) => s.schedule(Promise.resolve(), 'get').then(() => inner.get(userId)),
  getMany: (userIds) => inner.getMany(userIds),
  compareAndSet: (next: PresenceRecord, expected) =>
    s
      .schedule(Promise.resolve(), `cas ${next.userId}@${expected}`)
      .then(() => inner.compareAndSet(next, expected)),
  listExpiring: (at, limit) => inner.listExpiring(at, limit),
  snapshot: (userId) =>
    s.schedule(Promise.resolve(), 'snapshot').then(() => inner.snapshot(userId)),
  commitUpdate: (base, update) =>
    s
      .schedule(Promise.resolve(), `commit ${update.userId}@${base.version}`)
      .then(() => inner.commitUpdate(base, update)),
});

/** The memory store's two forms of a record: compact below a size, indexed above it; here, always indexed. */
const STORE_FORMS: [string, InMemoryPresenceStoreOptions][] = [
  ['compact records', {}],
  ['indexed records', { indexAbove: 0, compactAt: 0 }],
];

describe('PresenceTracker', () => {
  it.each(STORE_FORMS)(
    'publishes exactly the transitions of the plain model, in any delivery order (%s)',
    async (_, options) => {
      await fc.assert(
        fc.asyncProperty(presenceScenarioArbitrary(), async (scenario: PresenceScenario) => {
          const { clock, publisher, tracker } = setup(
            new InMemoryPresenceStore(options),
            scenario.maxConnectionAgeMs,
          );

          await replayScenario(scenario, tracker, clock);

          const expected = expectedTransitions(scenario);
          for (const userId of scenario.users) {
            expect(statusesOf(publisher.events, userId)).toEqual(expected.get(userId));
          }
          const online = (await tracker.query(scenario.users))
            .filter((p) => p.online)
            .map((p) => p.userId);
          expect(new Set(online)).toEqual(usersOnlineAt(scenario, scenario.checkAt));
        }),
        { numRuns: 200 },
      );
    },
  );

  it.each(STORE_FORMS)(
    'commits each transition once when writers race, and ends matching the live connections (%s)',
    async (_, options) => {
      await fc.assert(
        fc.asyncProperty(
          presenceScenarioArbitrary(),
          fc.scheduler(),
          fc.integer({ min: 2, max: 5 }),
          async (scenario, s, width) => {
            const { clock, publisher, tracker } = setup(
              scheduled(new InMemoryPresenceStore(options), s),
              scenario.maxConnectionAgeMs,
            );

            const deliveries = [...scenario.deliveries];
            while (deliveries.length > 0) {
              const batch = deliveries.splice(0, width);
              clock.set(Math.max(...batch.map((d) => d.at)));
              const running = batch.map((d) =>
                d.kind === 'sweep' ? tracker.sweep() : tracker.record(d.fact),
              );
              await s.waitFor(Promise.all(running));
            }

            const ids = publisher.events.flatMap((e) => (e.kind === 'presence' ? [e.id] : []));
            expect(ids.length).toBe(new Set(ids).size);
            const events = committed(publisher.events);
            for (const userId of scenario.users) {
              const statuses = statusesOf(events, userId);
              expect(statuses).toEqual(
                statuses.map((_, i) => (i % 2 === 0 ? 'ONLINE' : 'OFFLINE')),
              );
            }
            const lastStatus = new Map(events.map((e) => [e.userId, e.status]));
            const online = scenario.users.filter((u) => lastStatus.get(u) === 'ONLINE');
            expect(new Set(online)).toEqual(usersOnlineAt(scenario, scenario.checkAt));
          },
        ),
        { numRuns: 150 },
      );
    },
  );

  it('never stamps a transition earlier than the one before it, whatever order the facts were stamped in', async () => {
    // prepare: a connect stamped at 100 whose write lands after a disconnect stamped at 200
    const { clock, publisher, tracker } = setup(undefined, 60_000);
    await tracker.record({
      kind: 'connected',
      userId: 'u',
      connectionId: 'c1',
      at: 0,
      expiresAt: 9000,
    });
    clock.set(200);
    await tracker.record({ kind: 'disconnected', userId: 'u', connectionId: 'c1', at: 200 });

    // act
    await tracker.record({
      kind: 'connected',
      userId: 'u',
      connectionId: 'c2',
      at: 100,
      expiresAt: 9000,
    });

    // assess
    const events = committed(publisher.events);
    expect(events.map((e) => [e.status, e.timestamp, e.version])).toEqual([
      ['ONLINE', 0, 1],
      ['OFFLINE', 200, 3],
      ['ONLINE', 200, 5],
    ]);
    expect(events.map((e) => e.id)).toEqual(['u#1', 'u#3', 'u#5']);
  });

  it('keeps presence as alive as a touched connection with at most two presence writes per idle timeout, and lets it lapse once touches stop', async () => {
    // prepare
    const idleTimeoutMs = 1000;
    const store = new InMemoryPresenceStore();
    let writes = 0;
    const counting: PresenceStore = {
      get: (userId) => store.get(userId),
      getMany: (userIds) => store.getMany(userIds),
      compareAndSet: (next, expected) => store.compareAndSet(next, expected),
      listExpiring: (at, limit) => store.listExpiring(at, limit),
      snapshot: (userId) => store.snapshot(userId),
      commitUpdate: (base, update) => {
        writes++;
        return store.commitUpdate(base, update);
      },
    };
    const { clock, publisher, tracker } = setup(counting, 7_200_000);
    const registry = new ConnectionRegistry(
      new InMemoryConnectionStore(clock),
      clock,
      { idleTimeoutMs },
      tracker,
    );
    await registry.connect('c1', { userId: 'u', channels: [], claims: {} });
    const afterConnect = writes;

    // act: a ping every 100 ms for 10 idle timeouts, sweeping as the server does
    for (let t = 100; t <= 10_000; t += 100) {
      clock.set(t);
      await registry.touch('c1');
      await tracker.sweep();
    }
    const whilePinging = statusesOf(publisher.events, 'u');
    const refreshWrites = writes - afterConnect;
    clock.set(10_000 + idleTimeoutMs);
    await tracker.sweep();

    // assess: 20 refreshes (two per idle timeout), not 100
    expect(whilePinging).toEqual(['ONLINE']);
    expect(refreshWrites).toBe(20);
    expect(statusesOf(publisher.events, 'u')).toEqual(['ONLINE', 'OFFLINE']);
  });

  it('loses no transition when the output fails: the next fact publishes it', async () => {
    const { publisher, tracker } = setup();
    publisher.failNext(1);

    await expect(
      tracker.record({
        kind: 'connected',
        userId: 'u',
        connectionId: 'c1',
        at: 0,
        expiresAt: 4000,
      }),
    ).rejects.toThrow('output unavailable');
    expect(publisher.events).toEqual([]);
    await tracker.record({
      kind: 'connected',
      userId: 'u',
      connectionId: 'c2',
      at: 1,
      expiresAt: 4001,
    });

    expect(statusesOf(publisher.events, 'u')).toEqual(['ONLINE']);
  });

  it('ends presence by sweeping when a disconnect never arrives', async () => {
    const { clock, publisher, tracker } = setup();
    await tracker.record({
      kind: 'connected',
      userId: 'u',
      connectionId: 'c1',
      at: 0,
      expiresAt: 4000,
    });

    clock.set(3999);
    expect(await tracker.sweep()).toEqual([]);
    clock.set(4000);
    const swept = await tracker.sweep();

    expect(swept.map((e) => e.status)).toEqual(['OFFLINE']);
    expect(statusesOf(publisher.events, 'u')).toEqual(['ONLINE', 'OFFLINE']);
  });

  it('answers who is online, with connection counts and last seen', async () => {
    const { clock, tracker } = setup(undefined, 60_000);
    await tracker.record({
      kind: 'connected',
      userId: 'a',
      connectionId: 'a1',
      at: 0,
      expiresAt: 60_000,
    });
    await tracker.record({
      kind: 'connected',
      userId: 'a',
      connectionId: 'a2',
      at: 0,
      expiresAt: 60_000,
    });
    await tracker.record({
      kind: 'connected',
      userId: 'b',
      connectionId: 'b1',
      at: 0,
      expiresAt: 60_000,
    });
    clock.set(500);
    await tracker.record({ kind: 'disconnected', userId: 'b', connectionId: 'b1', at: 500 });
    clock.set(900);

    const presence = await tracker.query(['a', 'b', 'nobody']);

    expect(presence).toEqual([
      { userId: 'a', online: true, connections: 2, lastSeenAt: 900 },
      { userId: 'b', online: false, connections: 0, lastSeenAt: 500 },
      { userId: 'nobody', online: false, connections: 0, lastSeenAt: undefined },
    ]);
  });

  it('gives one ONLINE for two devices and one OFFLINE when both leave, through the registry', async () => {
    const { clock, publisher, tracker } = setup(undefined, 7_200_000);
    const registry = new ConnectionRegistry(new InMemoryConnectionStore(clock), clock, {}, tracker);
    const principal = { userId: 'alice', channels: [], claims: {} };

    await registry.connect('phone', principal);
    await registry.connect('laptop', principal);
    await registry.disconnect('phone');
    await registry.disconnect('laptop');

    expect(statusesOf(publisher.events, 'alice')).toEqual(['ONLINE', 'OFFLINE']);
  });
  it('forgets tombstones once they outlive the longest connection age, and a late connect still cannot revive one', async () => {
    const store = new InMemoryPresenceStore();
    const { clock, publisher, tracker } = setup(store, 4000);
    const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
    for (const connectionId of ids) {
      await tracker.connected(connectionRecord(connectionId, 'u', 0));
    }
    clock.set(10);
    for (const connectionId of ids)
      await tracker.disconnected(connectionRecord(connectionId, 'u', 0), 10);
    const buried = Object.keys((await store.get('u'))?.departed ?? {}).length;

    clock.set(4011);
    await tracker.connected(connectionRecord('fresh', 'u', 4011));
    await tracker.record({
      kind: 'connected',
      userId: 'u',
      connectionId: 'c0',
      at: 0,
      expiresAt: 4000,
    });

    const after = await store.get('u');
    expect(buried).toBe(50);
    expect(Object.keys(after?.departed ?? {})).toEqual([]);
    expect(Object.keys(after?.connections ?? {})).toEqual(['fresh']);
    expect(statusesOf(publisher.events, 'u')).toEqual(['ONLINE', 'OFFLINE', 'ONLINE']);
  });
});
