import { ConcurrencyConflictError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { ConnectionRecord } from '../model/connection.js';
import type { PresenceEvent } from '../model/events.js';
import type { Clock } from '../ports/clock.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { PresenceRecord, PresenceStore } from '../ports/presence-store.js';
import type { ConnectionLifecycleListener } from './connection-registry.js';
import { outboxCleared, type PresenceFact, planPresenceFact } from './presence-state.js';

interface PresenceTrackerOptions {
  /**
   * The longest a connection can live. A connection counts as gone this long
   * after it connected, and a departed one is remembered this long, so a late
   * connect fact for it is ignored.
   * @default LIMITS.maxConnectionAgeMs
   */
  readonly maxConnectionAgeMs?: number;
  /** Compare-and-set attempts before giving up on a contended user. @default 25 */
  readonly maxAttempts?: number;
}

/** A user's presence as a backend sees it. */
interface UserPresence {
  readonly userId: string;
  readonly online: boolean;
  readonly connections: number;
  /** Epoch ms the user was last seen connected; undefined when never seen. */
  readonly lastSeenAt: number | undefined;
}

/**
 * Turns connection facts into user-level ONLINE/OFFLINE transitions.
 *
 * Every change is planned by `planPresenceFact` from a snapshot of the user's
 * record and committed with compare-and-set on the record's version, so
 * exactly one writer commits each transition however many race. A fact costs
 * what it changes, not what the user holds: a store that keeps connections
 * indexed (the memory store) handles each in O(log n) of the user's
 * connections. A committed transition waits in the record's outbox until it is
 * published; if publishing fails, the next fact for that user publishes it
 * first. Publication is therefore at least once, and each event carries a
 * stable id (`user#version`) for the rare duplicate.
 */
class PresenceTracker implements ConnectionLifecycleListener {
  private readonly maxConnectionAgeMs: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly store: PresenceStore,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
    options: PresenceTrackerOptions = {},
  ) {
    this.maxConnectionAgeMs = options.maxConnectionAgeMs ?? LIMITS.maxConnectionAgeMs;
    this.maxAttempts = options.maxAttempts ?? 25;
  }

  /** Applies one fact; returns the transitions it committed (none, or one). */
  async record(fact: PresenceFact): Promise<readonly PresenceEvent[]> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const current = await this.store.snapshot(fact.userId);
      const outbox = current.pending;
      if (outbox.length > 0) await this.publisher.publish(outbox);
      const { update, events, changed } = planPresenceFact(
        current,
        fact,
        this.clock.now(),
        this.maxConnectionAgeMs,
      );
      if (!changed && outbox.length === 0) return [];
      const committed = await this.store.commitUpdate(current, update);
      if (committed === undefined) continue;
      if (events.length > 0) {
        await this.publisher.publish(events);
        await this.store.commitUpdate(committed, outboxCleared(committed));
      }
      return events;
    }
    throw new ConcurrencyConflictError(
      `presence of user "${fact.userId}" changed under ${this.maxAttempts} attempts in a row`,
    );
  }

  connected(record: ConnectionRecord): Promise<void> {
    return this.record({
      kind: 'connected',
      userId: record.userId,
      connectionId: record.connectionId,
      at: record.connectedAt,
      expiresAt: record.connectedAt + this.maxConnectionAgeMs,
    }).then(() => undefined);
  }

  disconnected(record: ConnectionRecord, at: number): Promise<void> {
    return this.record({
      kind: 'disconnected',
      userId: record.userId,
      connectionId: record.connectionId,
      at,
    }).then(() => undefined);
  }

  /** Ends presence for connections whose disconnect never arrived. Returns the transitions. */
  async sweep(limit = 100): Promise<readonly PresenceEvent[]> {
    const due = await this.store.listExpiring(this.clock.now(), limit);
    const events: PresenceEvent[] = [];
    for (const userId of due) events.push(...(await this.record({ kind: 'expire', userId })));
    return events;
  }

  async query(userIds: readonly string[]): Promise<readonly UserPresence[]> {
    const records = new Map((await this.store.getMany(userIds)).map((r) => [r.userId, r]));
    const now = this.clock.now();
    return userIds.map((userId) => presenceOf(userId, records.get(userId), now));
  }
}

const presenceOf = (
  userId: string,
  record: PresenceRecord | undefined,
  now: number,
): UserPresence => {
  const live =
    record === undefined ? 0 : Object.values(record.connections).filter((e) => e > now).length;
  const lastSeenAt =
    record === undefined || record.lastSeenAt === 0 ? undefined : record.lastSeenAt;
  return { userId, online: live > 0, connections: live, lastSeenAt: live > 0 ? now : lastSeenAt };
};

export type { PresenceTrackerOptions, UserPresence };
export { PresenceTracker };
