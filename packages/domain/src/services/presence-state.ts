import type { PresenceEvent, PresenceStatus } from '../model/events.js';
import type { PresenceRecord } from '../ports/presence-store.js';

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

const emptyRecord = (userId: string): PresenceRecord => ({
  userId,
  version: 0,
  online: false,
  connections: {},
  departed: {},
  lastSeenAt: 0,
  pending: [],
});

const sameEntries = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
};

/**
 * Applies one fact to a user's presence. Pure: the same record, fact and
 * instant always give the same result.
 *
 * - Connections are a set, so a fact delivered twice changes nothing.
 * - A disconnect leaves a tombstone for `tombstoneMs`, so a connect that
 *   arrives late (reordered or redelivered) cannot bring a closed connection back.
 * - Connections past their expiry are dropped, so a disconnect that never
 *   arrives still ends in OFFLINE.
 * - ONLINE/OFFLINE is emitted exactly when the set turns non-empty/empty.
 */
const applyPresenceFact = (
  current: PresenceRecord | undefined,
  fact: PresenceFact,
  now: number,
  tombstoneMs: number,
): Transition => {
  const state = current ?? emptyRecord(fact.userId);
  const connections: Record<string, number> = {};
  const departed: Record<string, number> = {};
  for (const [id, forgetAt] of Object.entries(state.departed)) {
    if (forgetAt > now) departed[id] = forgetAt;
  }
  for (const [id, expiresAt] of Object.entries(state.connections)) {
    if (expiresAt > now) connections[id] = expiresAt;
    else departed[id] = Math.max(departed[id] ?? 0, now + tombstoneMs);
  }

  let lastSeenAt = state.lastSeenAt;
  let at = now;
  if (fact.kind === 'connected') {
    at = fact.at;
    if (departed[fact.connectionId] === undefined && fact.expiresAt > now) {
      connections[fact.connectionId] = Math.max(
        connections[fact.connectionId] ?? 0,
        fact.expiresAt,
      );
      lastSeenAt = Math.max(lastSeenAt, fact.at);
    }
  } else if (fact.kind === 'disconnected') {
    at = fact.at;
    if (connections[fact.connectionId] !== undefined) lastSeenAt = Math.max(lastSeenAt, fact.at);
    delete connections[fact.connectionId];
    departed[fact.connectionId] = Math.max(departed[fact.connectionId] ?? 0, now + tombstoneMs);
  }

  const online = Object.keys(connections).length > 0;
  const expiries = Object.values(connections);
  const version = state.version + 1;
  const events: PresenceEvent[] =
    online === state.online
      ? []
      : [presenceEvent(state.userId, online ? 'ONLINE' : 'OFFLINE', at, version)];
  const changed =
    events.length > 0 ||
    lastSeenAt !== state.lastSeenAt ||
    !sameEntries(connections, state.connections) ||
    !sameEntries(departed, state.departed);
  const next: PresenceRecord = {
    userId: state.userId,
    version,
    online,
    connections,
    departed,
    lastSeenAt,
    ...(expiries.length > 0 ? { nextExpiryAt: Math.min(...expiries) } : {}),
    pending: events,
  };
  return { next, events, changed };
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
});

export type { PresenceFact, Transition };
export { applyPresenceFact, emptyRecord };
