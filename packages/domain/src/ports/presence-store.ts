import type { PresenceEvent } from '../model/events.js';

/**
 * A committed transition waiting to be published. The writer that committed
 * it holds a lease on it until `leaseUntil` (epoch ms) and publishes it;
 * another writer may publish it only after the lease has lapsed, and only
 * once it has claimed it (renewed the lease to itself) with a conditional
 * write. So in normal operation exactly one writer publishes each transition.
 */
interface OutboxEntry {
  readonly event: PresenceEvent;
  readonly leaseUntil: number;
}

/**
 * A user's presence, stored as one versioned record. PresenceTracker computes
 * every change in the domain and writes it with compare-and-set, so that a
 * transition is committed by exactly one writer, however many race.
 */
interface PresenceRecord {
  readonly userId: string;
  /** Incremented by every write; 0 means "not stored yet". */
  readonly version: number;
  readonly online: boolean;
  /** Live connections: connection id → instant (epoch ms) after which it counts as gone. */
  readonly connections: Readonly<Record<string, number>>;
  /** Connections seen leaving: connection id → instant the tombstone may be forgotten. */
  readonly departed: Readonly<Record<string, number>>;
  /** Last instant the user was seen connected (epoch ms). */
  readonly lastSeenAt: number;
  /**
   * Timestamp of the user's latest transition (epoch ms); the next one is
   * never stamped earlier, so timestamps never run backwards within a user.
   * Absent until the first transition.
   */
  readonly changedAt?: number;
  /**
   * Earliest instant something falls due for the user: a connection's expiry,
   * or the lapse of an outbox entry's lease. Stale users and orphaned outbox
   * entries are found by it without a scan.
   */
  readonly nextExpiryAt?: number;
  /** Transitions committed but not yet confirmed published (an outbox). */
  readonly pending: readonly OutboxEntry[];
}

/**
 * What one fact needs to know of a user's stored presence, read without
 * copying the record: its scalar fields as they were at `version`, and
 * lookups into its connections and tombstones. A store may answer the lookups
 * from live state; if another writer commits meanwhile, the answers may mix
 * versions, and `commitUpdate` then refuses the update built from them,
 * because it checks `version`.
 */
interface PresenceSnapshot {
  readonly userId: string;
  /** 0 when nothing is stored for the user. */
  readonly version: number;
  readonly online: boolean;
  readonly lastSeenAt: number;
  /** 0 before the first transition. */
  readonly changedAt: number;
  readonly pending: readonly OutboxEntry[];
  /** How many connections the record holds (expired ones included until dropped). */
  readonly connectionCount: number;
  /** The connection's expiry, or undefined when the record does not hold it. */
  connectionExpiry(connectionId: string): number | undefined;
  /** The instant the connection's tombstone may be forgotten, or undefined when it has none. */
  tombstoneUntil(connectionId: string): number | undefined;
  /** Every connection whose expiry is at or before `at`, with its expiry. */
  connectionsExpiredBy(at: number): readonly (readonly [string, number])[];
  /**
   * Tombstones that may be forgotten at `at`. Never one whose instant is later
   * than `at`; a store may leave some due ones for a later call.
   */
  tombstonesDueBy(at: number): readonly string[];
}

/**
 * A change to one user's record, as PresenceTracker computes it from a
 * snapshot. Its size is that of the change, not of the record. A store
 * applies it in this order: `forget`, `disconnect`, `tombstones`, `connect`,
 * then the scalar fields, and derives `nextExpiryAt` itself (the earliest of
 * the connections' expiries and the outbox's leases).
 */
interface PresenceUpdate {
  readonly userId: string;
  /** The version the record has after this update. */
  readonly version: number;
  readonly online: boolean;
  readonly lastSeenAt: number;
  /** The record's `changedAt` after this update; undefined leaves none. */
  readonly changedAt?: number;
  /** The outbox after this update (it replaces the stored one). */
  readonly pending: readonly OutboxEntry[];
  /** Tombstones to drop. */
  readonly forget: readonly string[];
  /** Connections to drop (closed or expired). */
  readonly disconnect: readonly string[];
  /** Tombstones to set: connection id → instant it may be forgotten. */
  readonly tombstones: readonly (readonly [string, number])[];
  /** Connections to set: connection id → expiry. */
  readonly connect: readonly (readonly [string, number])[];
}

interface PresenceStore {
  get(userId: string): Promise<PresenceRecord | undefined>;
  getMany(userIds: readonly string[]): Promise<readonly PresenceRecord[]>;
  /**
   * Stores `next` only if the stored record's version is `expectedVersion`
   * (0: no record stored). Returns false when another writer got there first.
   */
  compareAndSet(next: PresenceRecord, expectedVersion: number): Promise<boolean>;
  /**
   * Ids of users whose `nextExpiryAt` is at or before `at` (a connection
   * expiring, or an outbox lease lapsing), at most `limit`.
   */
  listExpiring(at: number, limit: number): Promise<readonly string[]>;
  /** The user's presence as of now (version 0 when nothing is stored), for one read-modify-write. */
  snapshot(userId: string): Promise<PresenceSnapshot>;
  /**
   * Applies `update` only if the stored record's version is still
   * `base.version` (`base` being a snapshot this store gave). Returns the
   * snapshot of the record it committed, or undefined when another writer got
   * there first.
   */
  commitUpdate(
    base: PresenceSnapshot,
    update: PresenceUpdate,
  ): Promise<PresenceSnapshot | undefined>;
}

export type { OutboxEntry, PresenceRecord, PresenceSnapshot, PresenceStore, PresenceUpdate };
