import type { PresenceEvent } from '../model/events.js';

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
  /** Earliest connection expiry, so stale users can be found without a scan. */
  readonly nextExpiryAt?: number;
  /** Transitions committed but not yet confirmed published (an outbox). */
  readonly pending: readonly PresenceEvent[];
}

interface PresenceStore {
  get(userId: string): Promise<PresenceRecord | undefined>;
  getMany(userIds: readonly string[]): Promise<readonly PresenceRecord[]>;
  /**
   * Stores `next` only if the stored record's version is `expectedVersion`
   * (0: no record stored). Returns false when another writer got there first.
   */
  compareAndSet(next: PresenceRecord, expectedVersion: number): Promise<boolean>;
  /** Ids of users with a connection expiring at or before `at`, at most `limit`. */
  listExpiring(at: number, limit: number): Promise<readonly string[]>;
}

export type { PresenceRecord, PresenceStore };
