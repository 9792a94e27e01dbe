// Several service instances (as on several nodes) over one DynamoDB Local
// table, with writers racing for real (Promise.all): the guarantees hold where
// they can break, not only on the memory adapters one writer at a time.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  type Clock,
  ConnectionRegistry,
  type EventPublisher,
  type OutboundEvent,
  type PresenceEvent,
  type PresenceFact,
  PresenceTracker,
} from '@herald/domain';
import { ManualClock, waitFor } from '@herald/domain/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DynamoDbConnectionStore, DynamoDbPresenceStore } from '../src/dynamodb/index.js';
import { createTables, documentClient } from './support/aws.js';

const LONG = 60_000;
const LEASE = 30_000;

const recorder = () => {
  const events: PresenceEvent[] = [];
  const publisher: EventPublisher = {
    publish: async (batch: readonly OutboundEvent[]) => {
      for (const e of batch) if (e.kind === 'presence') events.push(e);
    },
  };
  return { events, publisher };
};

/** The version an event's stable id names (`user#version`). */
const versionOf = (event: PresenceEvent) => Number(event.id.slice(event.id.lastIndexOf('#') + 1));

interface PresenceAudit {
  /** Events published more than once (by id). */
  readonly duplicates: number;
  /** Transitions never published: gaps in the alternation, or a wrong final state. */
  readonly misses: number;
  /** Places where a user's timestamp ran backwards in version order. */
  readonly backwards: number;
}

/**
 * Checks what reached the backends against the truth: per user, distinct ids
 * in version order alternate ONLINE/OFFLINE starting ONLINE, end in the final
 * state, and never run backwards in time.
 */
const audit = (
  events: readonly PresenceEvent[],
  finalOnline: ReadonlyMap<string, boolean>,
): PresenceAudit => {
  const seen = new Set<string>();
  const byUser = new Map<string, PresenceEvent[]>();
  let duplicates = 0;
  for (const event of events) {
    if (seen.has(event.id)) {
      duplicates++;
      continue;
    }
    seen.add(event.id);
    byUser.set(event.userId, [...(byUser.get(event.userId) ?? []), event]);
  }
  let misses = 0;
  let backwards = 0;
  for (const [userId, online] of finalOnline) {
    const ordered = (byUser.get(userId) ?? []).sort((a, b) => versionOf(a) - versionOf(b));
    let status: PresenceEvent['status'] = 'OFFLINE';
    let at = Number.NEGATIVE_INFINITY;
    for (const event of ordered) {
      if (event.status === status) misses++;
      if (event.timestamp < at) backwards++;
      status = event.status;
      at = event.timestamp;
    }
    if ((status === 'ONLINE') !== online) misses++;
  }
  return { duplicates, misses, backwards };
};

/** Polls until the user's outbox holds an entry; returns its event id. */
const waitForOutbox = (store: DynamoDbPresenceStore, userId: string) =>
  waitFor(async () => (await store.get(userId))?.pending[0]?.event.id, {
    timeoutMs: 10_000,
    intervalMs: 20,
    what: `an outbox entry for ${userId}`,
  });

/** One connection's life: who handles each step, and which steps are delivered twice. */
const connectionScript = fc.record({
  long: fc.boolean(),
  disconnects: fc.boolean(),
  connectOn: fc.nat({ max: 2 }),
  duplicateConnectOn: fc.option(fc.nat({ max: 2 })),
  disconnectOn: fc.nat({ max: 2 }),
  duplicateDisconnectOn: fc.option(fc.nat({ max: 2 })),
});

const presenceScenario = fc.record({
  users: fc.array(fc.array(connectionScript, { minLength: 1, maxLength: 3 }), {
    minLength: 1,
    maxLength: 3,
  }),
  sweeps: fc.array(fc.nat({ max: 2 }), { maxLength: 4 }),
});

describe('PresenceTracker instances racing on one DynamoDbPresenceStore (DynamoDB Local)', () => {
  it('publishes exactly one event per true transition, alternating, ending in the right state', async () => {
    const client = documentClient();
    await fc.assert(
      fc.asyncProperty(presenceScenario, async (scenario) => {
        // prepare: three trackers (three nodes), each with its own store client over one table
        const { presence } = await createTables();
        const clock = new ManualClock(1_000_000);
        const { events, publisher } = recorder();
        const trackers = [0, 1, 2].map(
          () =>
            new PresenceTracker(
              new DynamoDbPresenceStore(client, clock, { tableName: presence }),
              publisher,
              clock,
              { maxConnectionAgeMs: 2 * LONG, outboxLeaseMs: LEASE, maxAttempts: 200 },
            ),
        );
        const on = (i: number) => trackers[i % trackers.length] as PresenceTracker;
        const twice = (first: number, again: number | null, fact: () => PresenceFact) =>
          Promise.all([
            on(first).record(fact()),
            ...(again === null ? [] : [on(again).record(fact())]),
          ]);

        // act: every connection's life runs at once; sweeps (and time) run beside them
        const lives = scenario.users.flatMap((scripts, u) =>
          scripts.map(async (script, c) => {
            const userId = `u${u}`;
            const connectionId = `u${u}-c${c}`;
            const expiresAt = clock.now() + (script.long ? LONG : 3);
            await twice(script.connectOn, script.duplicateConnectOn, () => ({
              kind: 'connected',
              userId,
              connectionId,
              at: clock.now(),
              expiresAt,
            }));
            if (!script.disconnects) return;
            await twice(script.disconnectOn, script.duplicateDisconnectOn, () => ({
              kind: 'disconnected',
              userId,
              connectionId,
              at: clock.now(),
            }));
          }),
        );
        const sweeps = scenario.sweeps.map(async (i) => {
          clock.advance(2);
          await on(i).sweep();
        });
        await Promise.all([...lives, ...sweeps]);
        clock.advance(10);
        await on(0).sweep();

        // assess
        const finalOnline = new Map(
          scenario.users.map((scripts, u) => [
            `u${u}`,
            scripts.some((script) => script.long && !script.disconnects),
          ]),
        );
        expect(audit(events, finalOnline)).toEqual({ duplicates: 0, misses: 0, backwards: 0 });
        const queried = await on(1).query([...finalOnline.keys()]);
        expect(new Map(queried.map((p) => [p.userId, p.online]))).toEqual(finalOnline);
      }),
      { numRuns: 15 },
    );
  }, 180_000);

  it('keeps duplicates and misses at zero under churn: 50 users × 3 devices across 2 trackers', async () => {
    // prepare
    const client = documentClient();
    const { presence } = await createTables();
    // Time moves 1 ms at every reading, so facts stamped before a racing commit are earlier than it.
    const manual = new ManualClock(1_000_000);
    const clock: Clock = {
      now: () => {
        manual.advance(1);
        return manual.now();
      },
      sleep: (ms) => manual.sleep(ms),
    };
    const { events, publisher } = recorder();
    const trackers = [0, 1].map(
      () =>
        new PresenceTracker(
          new DynamoDbPresenceStore(client, clock, { tableName: presence }),
          publisher,
          clock,
          { maxConnectionAgeMs: 2 * LONG, outboxLeaseMs: LEASE, maxAttempts: 200 },
        ),
    );
    const random = fc.sample(fc.nat({ max: 1 }), { numRuns: 50 * 3 * 6, seed: 42 });
    let draw = 0;
    const pick = () => trackers[random[draw++ % random.length] as number] as PresenceTracker;

    // act: each device connects and disconnects three times, the last time staying for odd users
    await Promise.all(
      Array.from({ length: 50 * 3 }, async (_, n) => {
        const userId = `user-${Math.floor(n / 3)}`;
        for (let round = 0; round < 3; round++) {
          const connectionId = `${userId}-d${n % 3}-r${round}`;
          await pick().record({
            kind: 'connected',
            userId,
            connectionId,
            at: clock.now(),
            expiresAt: clock.now() + LONG,
          });
          if (round === 2 && Math.floor(n / 3) % 2 === 1) return;
          await pick().record({ kind: 'disconnected', userId, connectionId, at: clock.now() });
        }
      }),
    );

    // assess
    const finalOnline = new Map(
      Array.from({ length: 50 }, (_, u) => [`user-${u}`, u % 2 === 1] as const),
    );
    const result = audit(events, finalOnline);
    console.info(`presence churn: ${events.length} events, ${JSON.stringify(result)}`);
    expect(result).toEqual({ duplicates: 0, misses: 0, backwards: 0 });
  }, 120_000);
});

describe('PresenceTracker outbox lease on DynamoDbPresenceStore (DynamoDB Local)', () => {
  it("republishes a crashed writer's transition exactly once, and only after its lease lapses", async () => {
    // prepare: writer A commits OFFLINE and stops before publishing (its node died mid-way)
    const client = documentClient();
    const { presence } = await createTables();
    const clock = new ManualClock(1_000_000);
    const store = () => new DynamoDbPresenceStore(client, clock, { tableName: presence });
    const { events, publisher } = recorder();
    const options = { maxConnectionAgeMs: LONG, outboxLeaseMs: LEASE };
    const survivor = new PresenceTracker(store(), publisher, clock, options);
    await survivor.record({
      kind: 'connected',
      userId: 'u1',
      connectionId: 'c1',
      at: clock.now(),
      expiresAt: clock.now() + LONG,
    });
    const stalled: EventPublisher = { publish: () => new Promise<void>(() => undefined) };
    const dying = new PresenceTracker(store(), stalled, clock, options);
    void dying.record({ kind: 'disconnected', userId: 'u1', connectionId: 'c1', at: clock.now() });
    const committed = await waitForOutbox(store(), 'u1');
    const before = events.length;

    // act: others sweep and handle a fact for the user while the lease holds, then after it lapses
    clock.advance(LEASE - 1);
    await survivor.sweep();
    await survivor.record({ kind: 'disconnected', userId: 'u1', connectionId: 'c9', at: 1 });
    const withinLease = events.slice(before);
    clock.advance(2);
    await Promise.all([
      survivor.sweep(),
      new PresenceTracker(store(), publisher, clock, options).sweep(),
    ]);
    await survivor.sweep();

    // assess
    expect(withinLease).toEqual([]);
    expect(events.slice(before).map((e) => [e.id, e.status])).toEqual([[committed, 'OFFLINE']]);
    expect((await store().get('u1'))?.pending).toEqual([]);
  });
});

describe('ConnectionRegistry instances racing on one DynamoDbConnectionStore (DynamoDB Local)', () => {
  const script = fc.record({
    duplicateConnect: fc.boolean(),
    channels: fc.subarray(['a', 'b', 'c']),
    unsubscribe: fc.subarray(['a', 'b', 'c']),
    disconnects: fc.boolean(),
    duplicateDisconnect: fc.boolean(),
    on: fc.array(fc.nat({ max: 2 }), { minLength: 8, maxLength: 8 }),
  });

  it('leaves no orphaned membership and lists every connection right', async () => {
    const client = documentClient();
    await fc.assert(
      fc.asyncProperty(fc.array(script, { minLength: 1, maxLength: 6 }), async (scripts) => {
        // prepare: three registries (three nodes), each with its own store client over one table
        const { connections } = await createTables();
        const clock = new ManualClock(Date.now());
        const registries = [0, 1, 2].map(
          () =>
            new ConnectionRegistry(
              new DynamoDbConnectionStore(client, clock, { tableName: connections }),
              clock,
            ),
        );
        const at = (picks: readonly number[], k: number) =>
          registries[(picks[k % picks.length] as number) % 3] as ConnectionRegistry;
        const principal = (userId: string) => ({
          userId,
          channels: ['a', 'b', 'c'],
          claims: {},
        });

        // act: connects, repeated connects, subscribes, unsubscribes and disconnects race
        await Promise.all(
          scripts.map(async (s, i) => {
            const id = `c${i}`;
            const user = `u${i % 2}`;
            await at(s.on, 0).connect(id, principal(user));
            const tolerate = (p: Promise<unknown>) => p.catch(() => undefined);
            await Promise.all([
              ...(s.duplicateConnect ? [at(s.on, 1).connect(id, principal(user))] : []),
              ...s.channels.map((ch, k) => tolerate(at(s.on, 2 + k).subscribe(id, ch))),
            ]);
            await Promise.all([
              ...s.unsubscribe
                .filter((ch) => s.channels.includes(ch))
                .map((ch, k) => tolerate(at(s.on, 5 + k).unsubscribe(id, ch))),
              ...(s.disconnects
                ? [
                    at(s.on, 6).disconnect(id),
                    ...(s.duplicateDisconnect ? [at(s.on, 7).disconnect(id)] : []),
                  ]
                : []),
            ]);
          }),
        );

        // assess: the connection items, membership items and listings agree with the scripts
        const { Items = [] } = await client.send(new ScanCommand({ TableName: connections }));
        const items = new Map(Items.map((item) => [`${item.pk}|${item.sk}`, item]));
        const orphans = Items.filter((item) => {
          if (!String(item.pk).startsWith('chan#')) return false;
          const owner = items.get(`conn#${item.memberId}|conn`);
          const channel = String(item.pk).slice('chan#'.length);
          return !(owner?.channels instanceof Set && owner.channels.has(channel));
        });
        expect(orphans).toEqual([]);
        const registry = registries[0] as ConnectionRegistry;
        for (const channel of ['a', 'b', 'c']) {
          const expected = scripts.flatMap((s, i) =>
            !s.disconnects && s.channels.includes(channel) && !s.unsubscribe.includes(channel)
              ? [`c${i}`]
              : [],
          );
          const listed = (await registry.listByChannel(channel)).items.map((r) => r.connectionId);
          expect(listed.sort()).toEqual(expected.sort());
        }
        for (const user of ['u0', 'u1']) {
          const expected = scripts.flatMap((s, i) =>
            !s.disconnects && `u${i % 2}` === user ? [`c${i}`] : [],
          );
          const listed = (await registry.listByUser(user)).map((r) => r.connectionId);
          expect(listed.sort()).toEqual(expected.sort());
        }
      }),
      { numRuns: 15 },
    );
  }, 180_000);
});
