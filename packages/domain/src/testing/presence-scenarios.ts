import fc from 'fast-check';
import type { PresenceStatus } from '../model/events.js';
import type { PresenceFact } from '../services/presence-state.js';

/** One device's connection, as it really happened. */
interface Session {
  readonly userId: string;
  readonly connectionId: string;
  readonly connectAt: number;
  /** When the connection closed; undefined when its disconnect never arrives (only expiry ends it). */
  readonly disconnectAt: number | undefined;
}

/** A fact handed to the tracker at `at`, or a sweep for stale connections. */
type Delivery =
  | { readonly at: number; readonly kind: 'fact'; readonly fact: PresenceFact }
  | { readonly at: number; readonly kind: 'sweep' };

/**
 * A random history of several users on several devices, and the order in which
 * its facts reach the tracker: late, reordered, delivered twice, or never (a
 * lost disconnect), with sweeps in between.
 */
interface PresenceScenario {
  readonly users: readonly string[];
  readonly maxConnectionAgeMs: number;
  readonly sessions: readonly Session[];
  readonly deliveries: readonly Delivery[];
  /** An instant after every fact, at which a last sweep runs and the final state is checked. */
  readonly checkAt: number;
}

const USERS = ['ana', 'bo', 'cy'] as const;
const MAX_AGE = 4000;
const MAX_DELAY = 1500;

const sessionArbitrary = fc.record({
  userId: fc.constantFrom(...USERS),
  connectAt: fc.integer({ min: 0, max: 20_000 }),
  duration: fc.integer({ min: 1, max: MAX_AGE + 1000 }),
  lost: fc.boolean(),
  connectDelay: fc.integer({ min: 0, max: MAX_DELAY }),
  disconnectDelay: fc.integer({ min: 0, max: MAX_DELAY }),
  connectAgain: fc.option(fc.integer({ min: 0, max: MAX_DELAY })),
  disconnectAgain: fc.option(fc.integer({ min: 0, max: MAX_DELAY })),
});

const presenceScenarioArbitrary = (): fc.Arbitrary<PresenceScenario> =>
  fc
    .record({
      sessions: fc.array(sessionArbitrary, { minLength: 1, maxLength: 24 }),
      sweeps: fc.array(fc.integer({ min: 0, max: 28_000 }), { maxLength: 6 }),
    })
    .map(({ sessions: drawn, sweeps }) => {
      const sessions: Session[] = [];
      const deliveries: Delivery[] = [];
      drawn.forEach((s, index) => {
        const connectionId = `conn-${index}`;
        const disconnectAt = s.lost ? undefined : s.connectAt + Math.min(s.duration, MAX_AGE);
        sessions.push({ userId: s.userId, connectionId, connectAt: s.connectAt, disconnectAt });
        const connect: PresenceFact = {
          kind: 'connected',
          userId: s.userId,
          connectionId,
          at: s.connectAt,
          expiresAt: s.connectAt + MAX_AGE,
        };
        deliveries.push({ at: s.connectAt + s.connectDelay, kind: 'fact', fact: connect });
        if (s.connectAgain !== null) {
          deliveries.push({ at: s.connectAt + s.connectAgain, kind: 'fact', fact: connect });
        }
        if (disconnectAt !== undefined) {
          const disconnect: PresenceFact = {
            kind: 'disconnected',
            userId: s.userId,
            connectionId,
            at: disconnectAt,
          };
          deliveries.push({ at: disconnectAt + s.disconnectDelay, kind: 'fact', fact: disconnect });
          if (s.disconnectAgain !== null) {
            deliveries.push({
              at: disconnectAt + s.disconnectAgain,
              kind: 'fact',
              fact: disconnect,
            });
          }
        }
      });
      for (const at of sweeps) deliveries.push({ at, kind: 'sweep' });
      deliveries.sort((a, b) => a.at - b.at);
      const checkAt = Math.max(...deliveries.map((d) => d.at)) + 1;
      deliveries.push({ at: checkAt, kind: 'sweep' });
      return { users: USERS, maxConnectionAgeMs: MAX_AGE, sessions, deliveries, checkAt };
    });

/** Users with a connection that is really live at `at`: connected, never closed, not past its age. */
const usersOnlineAt = (scenario: PresenceScenario, at: number): ReadonlySet<string> =>
  new Set(
    scenario.sessions
      .filter((s) => s.connectAt <= at && s.connectAt + scenario.maxConnectionAgeMs > at)
      .filter((s) => s.disconnectAt === undefined || s.disconnectAt > at)
      .map((s) => s.userId),
  );

/**
 * The transitions each user should see, by a deliberately plain model of the
 * rules: a connection counts from its first connect fact until its disconnect
 * fact or its expiry, and a closed connection never comes back.
 */
const expectedTransitions = (
  scenario: PresenceScenario,
): ReadonlyMap<string, readonly PresenceStatus[]> => {
  const live = new Map<string, Map<string, number>>();
  const closed = new Set<string>();
  const online = new Set<string>();
  const transitions = new Map<string, PresenceStatus[]>(scenario.users.map((u) => [u, []]));
  const settle = (userId: string, now: number) => {
    const connections = live.get(userId) ?? new Map<string, number>();
    for (const [id, expiresAt] of connections) {
      if (expiresAt <= now) {
        connections.delete(id);
        closed.add(id);
      }
    }
    live.set(userId, connections);
    return connections;
  };
  const decide = (userId: string, connections: Map<string, number>) => {
    const isOnline = connections.size > 0;
    if (isOnline !== online.has(userId)) {
      transitions.get(userId)?.push(isOnline ? 'ONLINE' : 'OFFLINE');
      if (isOnline) online.add(userId);
      else online.delete(userId);
    }
  };
  for (const delivery of scenario.deliveries) {
    if (delivery.kind === 'sweep') {
      for (const userId of scenario.users) {
        const due = [...(live.get(userId)?.values() ?? [])].some((e) => e <= delivery.at);
        if (due) decide(userId, settle(userId, delivery.at));
      }
      continue;
    }
    const { fact } = delivery;
    const connections = settle(fact.userId, delivery.at);
    if (
      fact.kind === 'connected' &&
      !closed.has(fact.connectionId) &&
      fact.expiresAt > delivery.at
    ) {
      connections.set(
        fact.connectionId,
        Math.max(connections.get(fact.connectionId) ?? 0, fact.expiresAt),
      );
    }
    if (fact.kind === 'disconnected') {
      connections.delete(fact.connectionId);
      closed.add(fact.connectionId);
    }
    decide(fact.userId, connections);
  }
  return transitions;
};

export type { Delivery, PresenceScenario, Session };
export { expectedTransitions, presenceScenarioArbitrary, usersOnlineAt };

/** What replayScenario drives: a PresenceTracker, or anything shaped like one. */
interface ScenarioTracker {
  record(fact: PresenceFact): Promise<unknown>;
  sweep(): Promise<unknown>;
}

/** Delivers a scenario's facts and sweeps to a tracker, one at a time, moving the clock to each. */
const replayScenario = async (
  scenario: PresenceScenario,
  tracker: ScenarioTracker,
  clock: { set(epochMs: number): void },
): Promise<void> => {
  for (const delivery of scenario.deliveries) {
    clock.set(delivery.at);
    if (delivery.kind === 'sweep') await tracker.sweep();
    else await tracker.record(delivery.fact);
  }
};

export type { ScenarioTracker };
export { replayScenario };
