import { ConcurrencyConflictError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { ConnectionRecord } from '../model/connection.js';
import type { PresenceEvent } from '../model/events.js';
import type { Clock } from '../ports/clock.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { PresenceRecord, PresenceSnapshot, PresenceStore } from '../ports/presence-store.js';
import type { ConnectionLifecycleListener } from './connection-registry.js';
import {
  DEFAULT_OUTBOX_LEASE_MS,
  outboxCleared,
  outboxReleased,
  type PresenceFact,
  planPresenceFact,
} from './presence-state.js';

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
  /**
   * How long the writer that commits a transition holds it in the outbox
   * before another writer may claim and publish it (crash recovery). Longer
   * than publishing can take, or a slow writer and its successor both publish.
   * @default 30000
   */
  readonly outboxLeaseMs?: number;
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
 * connections.
 *
 * A committed transition waits in the record's outbox, leased to the writer
 * that committed it, which publishes it and then drops it from the outbox.
 * Other writers leave it alone while the lease holds; once it has lapsed (the
 * writer crashed, or its publish failed), the next writer to touch the user,
 * or the sweep (the lapse is the user's `nextExpiryAt`), claims it with a
 * conditional write and publishes it. So each transition is published by
 * exactly one writer in normal operation, and at least once after a crash;
 * each event carries a stable id (`user#version`) and its `version` for the
 * rare duplicate.
 */
class PresenceTracker implements ConnectionLifecycleListener {
  private readonly maxConnectionAgeMs: number;
  private readonly maxAttempts: number;
  private readonly outboxLeaseMs: number;

  constructor(
    private readonly store: PresenceStore,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
    options: PresenceTrackerOptions = {},
  ) {
    this.maxConnectionAgeMs = options.maxConnectionAgeMs ?? LIMITS.maxConnectionAgeMs;
    this.maxAttempts = options.maxAttempts ?? 25;
    this.outboxLeaseMs = options.outboxLeaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
  }

  /** Applies one fact; returns the transitions it committed (none, or one). */
  async record(fact: PresenceFact): Promise<readonly PresenceEvent[]> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const current = await this.store.snapshot(fact.userId);
      const { update, events, claimed, changed } = planPresenceFact(
        current,
        fact,
        this.clock.now(),
        this.maxConnectionAgeMs,
        this.outboxLeaseMs,
      );
      if (!changed) return [];
      const committed = await this.store.commitUpdate(current, update);
      if (committed === undefined) continue;
      const owned = [...claimed, ...events];
      if (owned.length > 0) {
        const ids = new Set(owned.map((event) => event.id));
        try {
          await this.publisher.publish(owned);
        } catch (error) {
          // Let the next writer (a retry of this fact, or anyone) publish them at once.
          await this.settleOutbox(committed, ids, 'release').catch(() => undefined);
          throw error;
        }
        await this.settleOutbox(committed, ids, 'clear');
      }
      return events;
    }
    throw new ConcurrencyConflictError(
      `presence of user "${fact.userId}" changed under ${this.maxAttempts} attempts in a row`,
    );
  }

  /**
   * `clear`: drops published events from the user's outbox. `release`: ends
   * this writer's lease on events it could not publish, so the next writer
   * publishes them without waiting for the lease. Another writer may have
   * committed meanwhile; its entries stay as they are. If the user stays
   * contended past `maxAttempts`, the entries stay too, and are published
   * once more after their lease lapses (a duplicate with the same id).
   */
  private async settleOutbox(
    committed: PresenceSnapshot,
    ids: ReadonlySet<string>,
    how: 'clear' | 'release',
  ): Promise<void> {
    let base: PresenceSnapshot | undefined = committed;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      base ??= await this.store.snapshot(committed.userId);
      if (!base.pending.some((entry) => ids.has(entry.event.id))) return;
      const update =
        how === 'clear' ? outboxCleared(base, ids) : outboxReleased(base, ids, this.clock.now());
      if ((await this.store.commitUpdate(base, update)) !== undefined) return;
      base = undefined;
    }
  }

  /**
   * A connection arrived. It counts until the registry's expiry for it (its
   * idle timeout, at most its maximum age), unless `refreshed` extends it.
   */
  connected(record: ConnectionRecord): Promise<void> {
    return this.record({
      kind: 'connected',
      userId: record.userId,
      connectionId: record.connectionId,
      at: record.connectedAt,
      expiresAt: record.expiresAt,
    }).then(() => undefined);
  }

  /** A connection's liveness was extended (see `presenceRefreshDue`): it counts until its new expiry. */
  refreshed(record: ConnectionRecord): Promise<void> {
    return this.connected(record);
  }

  disconnected(record: ConnectionRecord, at: number): Promise<void> {
    return this.record({
      kind: 'disconnected',
      userId: record.userId,
      connectionId: record.connectionId,
      at,
    }).then(() => undefined);
  }

  /**
   * Ends presence for connections whose disconnect never arrived, and
   * publishes outbox entries whose writer's lease lapsed. Returns the
   * transitions it committed.
   */
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
