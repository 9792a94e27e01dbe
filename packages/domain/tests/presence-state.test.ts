import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyPresenceFact,
  type PresenceEvent,
  type PresenceFact,
  type PresenceRecord,
  planPresenceFact,
  snapshotOfRecord,
} from '../src/index.js';
import {
  expectedTransitions,
  type PresenceScenario,
  presenceScenarioArbitrary,
  usersOnlineAt,
} from '../src/testing/index.js';

/** Runs a scenario through applyPresenceFact alone, as one sequential writer would. */
const replay = (scenario: PresenceScenario) => {
  const records = new Map<string, PresenceRecord>();
  const events: PresenceEvent[] = [];
  const apply = (fact: PresenceFact, now: number) => {
    const {
      next,
      events: emitted,
      changed,
    } = applyPresenceFact(records.get(fact.userId), fact, now, scenario.maxConnectionAgeMs);
    if (changed) records.set(fact.userId, next);
    events.push(...emitted);
  };
  const sweep = (now: number) => {
    for (const record of [...records.values()]) {
      if (record.nextExpiryAt !== undefined && record.nextExpiryAt <= now) {
        apply({ kind: 'expire', userId: record.userId }, now);
      }
    }
  };
  for (const delivery of scenario.deliveries) {
    if (delivery.kind === 'sweep') sweep(delivery.at);
    else apply(delivery.fact, delivery.at);
  }
  return { records, events };
};

describe('applyPresenceFact', () => {
  it('gives exactly one ONLINE per offline→online and one OFFLINE per online→offline, whatever the delivery order', () => {
    fc.assert(
      fc.property(presenceScenarioArbitrary(), (scenario) => {
        const { records, events } = replay(scenario);

        const expected = expectedTransitions(scenario);
        for (const userId of scenario.users) {
          const seen = events.filter((e) => e.userId === userId).map((e) => e.status);
          expect(seen).toEqual(expected.get(userId));
        }
        expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
        const online = [...records.values()].filter((r) => r.online).map((r) => r.userId);
        expect(new Set(online)).toEqual(usersOnlineAt(scenario, scenario.checkAt));
      }),
      { numRuns: 500 },
    );
  });

  it('alternates ONLINE and OFFLINE for every user, starting with ONLINE', () => {
    fc.assert(
      fc.property(presenceScenarioArbitrary(), (scenario) => {
        const { events } = replay(scenario);

        for (const userId of scenario.users) {
          const statuses = events.filter((e) => e.userId === userId).map((e) => e.status);
          const alternating = statuses.map((_, i) => (i % 2 === 0 ? 'ONLINE' : 'OFFLINE'));
          expect(statuses).toEqual(alternating);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('changes nothing when the same fact arrives twice', () => {
    const fact: PresenceFact = {
      kind: 'connected',
      userId: 'u',
      connectionId: 'c',
      at: 10,
      expiresAt: 5000,
    };
    const first = applyPresenceFact(undefined, fact, 10, 4000);

    const second = applyPresenceFact(first.next, fact, 20, 4000);

    expect(first.events.map((e) => e.status)).toEqual(['ONLINE']);
    expect(second.changed).toBe(false);
    expect(second.events).toEqual([]);
  });

  it('ignores a connect that arrives after its own disconnect', () => {
    const gone = applyPresenceFact(
      undefined,
      { kind: 'disconnected', userId: 'u', connectionId: 'c', at: 50 },
      60,
      4000,
    );

    const late = applyPresenceFact(
      gone.next,
      { kind: 'connected', userId: 'u', connectionId: 'c', at: 10, expiresAt: 4010 },
      70,
      4000,
    );

    expect([...gone.events, ...late.events]).toEqual([]);
    expect(late.next.online).toBe(false);
  });

  it('goes OFFLINE when the only connection expires without a disconnect', () => {
    const up = applyPresenceFact(
      undefined,
      { kind: 'connected', userId: 'u', connectionId: 'c', at: 0, expiresAt: 1000 },
      0,
      4000,
    );

    const expired = applyPresenceFact(up.next, { kind: 'expire', userId: 'u' }, 1000, 4000);

    expect(expired.events.map((e) => [e.status, e.timestamp])).toEqual([['OFFLINE', 1000]]);
    expect(expired.next.connections).toEqual({});
    // Only the outbox is due now: its entries' leases (30 s by default).
    expect(expired.next.pending.map((entry) => entry.leaseUntil)).toEqual([30_000, 31_000]);
    expect(expired.next.nextExpiryAt).toBe(30_000);
  });

  it("plans a change holding only the fact's own connection, however many the user holds", () => {
    const connections = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [`c${i}`, 10_000 + i]),
    );
    const departed = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [`d${i}`, 20_000 + i]),
    );
    const snapshot = snapshotOfRecord(
      {
        userId: 'u',
        version: 7,
        online: true,
        connections,
        departed,
        lastSeenAt: 5,
        nextExpiryAt: 10_000,
        pending: [],
      },
      'u',
    );

    const joined = planPresenceFact(
      snapshot,
      { kind: 'connected', userId: 'u', connectionId: 'new', at: 100, expiresAt: 9000 },
      100,
      4000,
    ).update;
    const left = planPresenceFact(
      snapshot,
      { kind: 'disconnected', userId: 'u', connectionId: 'c3', at: 100 },
      100,
      4000,
    ).update;

    expect(joined).toMatchObject({
      version: 8,
      online: true,
      connect: [['new', 9000]],
      disconnect: [],
      tombstones: [],
      forget: [],
    });
    expect(left).toMatchObject({
      version: 8,
      online: true,
      connect: [],
      disconnect: ['c3'],
      tombstones: [['c3', 4100]],
      forget: [],
    });
  });
});
