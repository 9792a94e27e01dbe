import type { PresenceEvent, PresenceStatus } from '../model/events.js';
import type {
  OutboxEntry,
  PresenceRecord,
  PresenceSnapshot,
  PresenceUpdate,
} from '../ports/presence-store.js';

/** A fact about one connection, as the connection store or the gateway reports it. */
type PresenceFact =
  | {
      readonly kind: 'connected';
      readonly userId: string;
      readonly connectionId: string;
      readonly at: number;
      /** Instant after which this connection counts as gone even if no disconnect arrives. */
      readonly expiresAt: number;
    }
  | {
      readonly kind: 'disconnected';
      readonly userId: string;
      readonly connectionId: string;
      readonly at: number;
    }
  /** Drops the user's expired connections, e.g. when a sweep finds them stale. */
  | { readonly kind: 'expire'; readonly userId: string };

interface Transition {
  readonly next: PresenceRecord;
  readonly events: readonly PresenceEvent[];
  /** False when the fact changed nothing, so nothing needs writing. */
  readonly changed: boolean;
}

/** One fact's effect on a user's presence, as a change to its record. */
interface PresencePlan {
  readonly update: PresenceUpdate;
  /** The transitions this fact makes (none, or one), leased to the writer in `update`. */
  readonly events: readonly PresenceEvent[];
  /**
   * Outbox entries whose lease had lapsed (their writer crashed before
   * publishing), claimed by `update` for this writer, which publishes them
   * once the update is committed.
   */
  readonly claimed: readonly PresenceEvent[];
  /** False when the fact changed nothing, so nothing needs writing. */
  readonly changed: boolean;
}

/** How long a writer holds an outbox entry it committed before another may publish it. */
const DEFAULT_OUTBOX_LEASE_MS = 30_000;

const emptyRecord = (userId: string): PresenceRecord => ({
  userId,
  version: 0,
  online: false,
  connections: {},
  departed: {},
  lastSeenAt: 0,
  pending: [],
});

/**
 * Works out one fact's effect on a user's presence from a snapshot. Pure: the
 * same snapshot, fact and instant always give the same plan. Its cost is that
 * of the change (the connections that expired, the tombstones forgotten, and
 * the fact's own connection), never that of all the user's connections.
 *
 * - Connections are a set, so a fact delivered twice changes nothing.
 * - A disconnect leaves a tombstone for `tombstoneMs`, so a connect that
 *   arrives late (reordered or redelivered) cannot bring a closed connection
 *   back. `tombstoneMs` must be at least the longest a connection lives: a
 *   connect fact arriving after the tombstone is forgotten names an expiry
 *   already past, and is ignored for that reason.
 * - Connections past their expiry are dropped (and tombstoned), so a
 *   disconnect that never arrives still ends in OFFLINE.
 * - ONLINE/OFFLINE is emitted exactly when the set turns non-empty/empty, with
 *   the version the update commits, so a user's events alternate in version
 *   order. Its timestamp is the fact's instant, but never earlier than the
 *   user's previous transition's (`changedAt`), so timestamps never run
 *   backwards within a user whatever order facts were stamped and committed in.
 * - The event goes into the outbox, leased to this writer for `leaseMs`.
 *   Outbox entries of other writers are kept as they are while their lease
 *   holds; those whose lease has lapsed are claimed (re-leased to this
 *   writer) and returned in `claimed` for this writer to publish.
 */
const planPresenceFact = (
  current: PresenceSnapshot,
  fact: PresenceFact,
  now: number,
  tombstoneMs: number,
  leaseMs: number = DEFAULT_OUTBOX_LEASE_MS,
): PresencePlan => {
  const tombstoneAt = now + tombstoneMs;
  const forgotten = new Set(current.tombstonesDueBy(now));
  const tombstones = new Map<string, number>();
  const disconnect = new Set<string>();
  /** The connection's tombstone as this plan leaves it. */
  const tombstoneOf = (id: string) =>
    tombstones.get(id) ?? (forgotten.has(id) ? undefined : current.tombstoneUntil(id));
  const bury = (id: string) => tombstones.set(id, Math.max(tombstoneOf(id) ?? 0, tombstoneAt));

  for (const [id] of current.connectionsExpiredBy(now)) {
    disconnect.add(id);
    bury(id);
  }
  let count = current.connectionCount - disconnect.size;
  const expiryOf = (id: string) => (disconnect.has(id) ? undefined : current.connectionExpiry(id));

  let lastSeenAt = current.lastSeenAt;
  let at = now;
  const connect: (readonly [string, number])[] = [];
  if (fact.kind === 'connected') {
    at = fact.at;
    if (tombstoneOf(fact.connectionId) === undefined && fact.expiresAt > now) {
      const existing = expiryOf(fact.connectionId);
      const expiresAt = Math.max(existing ?? 0, fact.expiresAt);
      if (existing === undefined) count++;
      if (expiresAt !== existing) connect.push([fact.connectionId, expiresAt]);
      lastSeenAt = Math.max(lastSeenAt, fact.at);
    }
  } else if (fact.kind === 'disconnected') {
    at = fact.at;
    if (expiryOf(fact.connectionId) !== undefined) {
      lastSeenAt = Math.max(lastSeenAt, fact.at);
      disconnect.add(fact.connectionId);
      count--;
    }
    bury(fact.connectionId);
  }

  const setTombstones = [...tombstones].filter(
    ([id, until]) => current.tombstoneUntil(id) !== until,
  );
  const forget = [...forgotten].filter((id) => !tombstones.has(id));
  const online = count > 0;
  const version = current.version + 1;
  const timestamp = Math.max(at, current.changedAt);
  const events: PresenceEvent[] =
    online === current.online
      ? []
      : [presenceEvent(current.userId, online ? 'ONLINE' : 'OFFLINE', timestamp, version)];
  const leaseUntil = now + leaseMs;
  const claimed: PresenceEvent[] = [];
  const pending: OutboxEntry[] = current.pending.map((entry) => {
    if (entry.leaseUntil > now) return entry;
    claimed.push(entry.event);
    return { event: entry.event, leaseUntil };
  });
  for (const event of events) pending.push({ event, leaseUntil });
  const changedAt = events.length > 0 ? timestamp : current.changedAt;
  const changed =
    events.length > 0 ||
    claimed.length > 0 ||
    lastSeenAt !== current.lastSeenAt ||
    disconnect.size > 0 ||
    connect.length > 0 ||
    setTombstones.length > 0 ||
    forget.length > 0;
  const update: PresenceUpdate = {
    userId: current.userId,
    version,
    online,
    lastSeenAt,
    ...(changedAt === 0 ? {} : { changedAt }),
    pending,
    forget,
    disconnect: [...disconnect],
    tombstones: setTombstones,
    connect,
  };
  return { update, events, claimed, changed };
};

/**
 * The update that drops the given events from a record's outbox once they
 * are published, leaving every other entry (another writer's) as it is.
 */
const outboxCleared = (
  committed: PresenceSnapshot,
  published: ReadonlySet<string>,
): PresenceUpdate => ({
  userId: committed.userId,
  version: committed.version + 1,
  online: committed.online,
  lastSeenAt: committed.lastSeenAt,
  ...(committed.changedAt === 0 ? {} : { changedAt: committed.changedAt }),
  pending: committed.pending.filter((entry) => !published.has(entry.event.id)),
  forget: [],
  disconnect: [],
  tombstones: [],
  connect: [],
});

/** The update that ends the lease on the given outbox entries at `now`, so any writer may claim them. */
const outboxReleased = (
  committed: PresenceSnapshot,
  ids: ReadonlySet<string>,
  now: number,
): PresenceUpdate => ({
  ...outboxCleared(committed, new Set()),
  pending: committed.pending.map((entry) =>
    ids.has(entry.event.id)
      ? { event: entry.event, leaseUntil: Math.min(entry.leaseUntil, now) }
      : entry,
  ),
});

/**
 * A snapshot over a plain record (cost O(n) to build). Stores that keep the
 * whole record as one item, such as DynamoDB's, use it.
 */
const snapshotOfRecord = (record: PresenceRecord | undefined, userId: string): PresenceSnapshot => {
  const state = record ?? emptyRecord(userId);
  return {
    userId: state.userId,
    version: state.version,
    online: state.online,
    lastSeenAt: state.lastSeenAt,
    changedAt: state.changedAt ?? 0,
    pending: state.pending,
    connectionCount: Object.keys(state.connections).length,
    connectionExpiry: (id) =>
      Object.hasOwn(state.connections, id) ? state.connections[id] : undefined,
    tombstoneUntil: (id) => (Object.hasOwn(state.departed, id) ? state.departed[id] : undefined),
    connectionsExpiredBy: (at) =>
      Object.entries(state.connections).filter(([, expiresAt]) => expiresAt <= at),
    tombstonesDueBy: (at) =>
      Object.entries(state.departed)
        .filter(([, until]) => until <= at)
        .map(([id]) => id),
  };
};

/** Applies an update to a plain record (cost O(n)), deriving `nextExpiryAt`. */
const applyPresenceUpdate = (
  record: PresenceRecord | undefined,
  update: PresenceUpdate,
): PresenceRecord => {
  const state = record ?? emptyRecord(update.userId);
  const departed: Record<string, number> = { ...state.departed };
  const connections: Record<string, number> = { ...state.connections };
  for (const id of update.forget) delete departed[id];
  for (const id of update.disconnect) delete connections[id];
  for (const [id, until] of update.tombstones) departed[id] = until;
  for (const [id, expiresAt] of update.connect) connections[id] = expiresAt;
  let nextExpiryAt = earliestLease(update.pending);
  for (const expiresAt of Object.values(connections)) {
    if (nextExpiryAt === undefined || expiresAt < nextExpiryAt) nextExpiryAt = expiresAt;
  }
  return {
    userId: state.userId,
    version: update.version,
    online: update.online,
    connections,
    departed,
    lastSeenAt: update.lastSeenAt,
    ...(update.changedAt === undefined ? {} : { changedAt: update.changedAt }),
    ...(nextExpiryAt === undefined ? {} : { nextExpiryAt }),
    pending: [...update.pending],
  };
};

/** The earliest lease in an outbox, or undefined when it is empty. */
const earliestLease = (pending: readonly OutboxEntry[]): number | undefined => {
  let earliest: number | undefined;
  for (const { leaseUntil } of pending) {
    if (earliest === undefined || leaseUntil < earliest) earliest = leaseUntil;
  }
  return earliest;
};

/**
 * Applies one fact to a user's whole presence record: `planPresenceFact` over
 * the record, then the plan applied to it. Pure: the same record, fact and
 * instant always give the same result. It copies the record (O(n)); the
 * tracker instead sends the plan to the store.
 */
const applyPresenceFact = (
  current: PresenceRecord | undefined,
  fact: PresenceFact,
  now: number,
  tombstoneMs: number,
  leaseMs: number = DEFAULT_OUTBOX_LEASE_MS,
): Transition => {
  const { update, events, changed } = planPresenceFact(
    snapshotOfRecord(current, fact.userId),
    fact,
    now,
    tombstoneMs,
    leaseMs,
  );
  return { next: applyPresenceUpdate(current, update), events, changed };
};

const presenceEvent = (
  userId: string,
  status: PresenceStatus,
  timestamp: number,
  version: number,
): PresenceEvent => ({
  kind: 'presence',
  id: `${userId}#${version}`,
  userId,
  status,
  timestamp,
  version,
});

export type { PresenceFact, PresencePlan, Transition };
export {
  applyPresenceFact,
  applyPresenceUpdate,
  DEFAULT_OUTBOX_LEASE_MS,
  earliestLease,
  emptyRecord,
  outboxCleared,
  outboxReleased,
  planPresenceFact,
  snapshotOfRecord,
};
