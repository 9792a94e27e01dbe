import {
  applyPresenceUpdate,
  earliestLease,
  type OutboxEntry,
  type PresenceRecord,
  type PresenceSnapshot,
  type PresenceStore,
  type PresenceUpdate,
  snapshotOfRecord,
} from '@herald/domain';

/**
 * Connection expiries in a binary min-heap, deleted lazily: an entry whose
 * connection is gone, or now has another expiry, is stale and is dropped when
 * it reaches the top. Every entry expires within one connection age of being
 * pushed, so stale ones never outlive that.
 */
class ExpiryHeap {
  private readonly entries: [expiresAt: number, connectionId: string][] = [];

  push(expiresAt: number, connectionId: string): void {
    const entries = this.entries;
    entries.push([expiresAt, connectionId]);
    let i = entries.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((entries[parent] as [number, string])[0] <= expiresAt) break;
      [entries[i], entries[parent]] = [
        entries[parent] as [number, string],
        entries[i] as [number, string],
      ];
      i = parent;
    }
  }

  /** Drops stale entries from the top; returns the earliest live expiry. */
  earliest(live: ReadonlyMap<string, number>): number | undefined {
    for (let top = this.entries[0]; top !== undefined; top = this.entries[0]) {
      if (live.get(top[1]) === top[0]) return top[0];
      this.pop();
    }
    return undefined;
  }

  /** Live connections expiring at or before `at`: visits only entries due by then. */
  dueBy(at: number, live: ReadonlyMap<string, number>): [string, number][] {
    const due = new Map<string, number>();
    const stack = [0];
    for (let i = stack.pop(); i !== undefined; i = stack.pop()) {
      const entry = this.entries[i];
      if (entry === undefined || entry[0] > at) continue;
      if (live.get(entry[1]) === entry[0]) due.set(entry[1], entry[0]);
      stack.push(2 * i + 1, 2 * i + 2);
    }
    return [...due];
  }

  private pop(): void {
    const entries = this.entries;
    const last = entries.pop();
    if (last === undefined || entries.length === 0) return;
    entries[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (
        left < entries.length &&
        (entries[left] as [number, string])[0] < (entries[least] as [number, string])[0]
      )
        least = left;
      if (
        right < entries.length &&
        (entries[right] as [number, string])[0] < (entries[least] as [number, string])[0]
      )
        least = right;
      if (least === i) return;
      [entries[i], entries[least]] = [
        entries[least] as [number, string],
        entries[i] as [number, string],
      ];
      i = least;
    }
  }
}

/** One user's presence, indexed so that a fact costs O(log n) of the user's connections. */
interface UserState {
  version: number;
  online: boolean;
  lastSeenAt: number;
  changedAt: number | undefined;
  nextExpiryAt: number | undefined;
  pending: readonly OutboxEntry[];
  readonly connections: Map<string, number>;
  /** Tombstones in the order they were last set, which is (nearly) the order they fall due. */
  readonly departed: Map<string, number>;
  readonly expiries: ExpiryHeap;
}

const newState = (): UserState => ({
  version: 0,
  online: false,
  lastSeenAt: 0,
  changedAt: undefined,
  nextExpiryAt: undefined,
  pending: [],
  connections: new Map(),
  departed: new Map(),
  expiries: new ExpiryHeap(),
});

const emptySnapshot = (userId: string): PresenceSnapshot => ({
  userId,
  version: 0,
  online: false,
  lastSeenAt: 0,
  changedAt: 0,
  pending: [],
  connectionCount: 0,
  connectionExpiry: () => undefined,
  tombstoneUntil: () => undefined,
  connectionsExpiredBy: () => [],
  tombstonesDueBy: () => [],
});

/**
 * A snapshot reading the state live. Its scalars are copied; its lookups may
 * see a later commit, in which case commitUpdate refuses what was built from
 * them (the version no longer matches).
 */
const snapshotOf = (userId: string, state: UserState): PresenceSnapshot => ({
  userId,
  version: state.version,
  online: state.online,
  lastSeenAt: state.lastSeenAt,
  changedAt: state.changedAt ?? 0,
  pending: state.pending,
  connectionCount: state.connections.size,
  connectionExpiry: (id) => state.connections.get(id),
  tombstoneUntil: (id) => state.departed.get(id),
  connectionsExpiredBy: (at) => state.expiries.dueBy(at, state.connections),
  tombstonesDueBy: (at) => {
    const due: string[] = [];
    for (const [id, until] of state.departed) {
      if (until > at) break;
      due.push(id);
    }
    return due;
  },
});

interface InMemoryPresenceStoreOptions {
  /** Past this many connections and tombstones, a user's record is kept indexed. @default 32 */
  readonly indexAbove?: number;
  /** At or below this many, an indexed user's record goes back to its compact form. @default 8 */
  readonly compactAt?: number;
}

const sizeOf = (record: PresenceRecord) =>
  Object.keys(record.connections).length + Object.keys(record.departed).length;

const indexedStateOf = (record: PresenceRecord): UserState => {
  const state = newState();
  state.version = record.version;
  state.online = record.online;
  state.lastSeenAt = record.lastSeenAt;
  state.changedAt = record.changedAt;
  state.nextExpiryAt = record.nextExpiryAt;
  state.pending = [...record.pending];
  for (const [id, expiresAt] of Object.entries(record.connections)) {
    state.connections.set(id, expiresAt);
    state.expiries.push(expiresAt, id);
  }
  const departed = Object.entries(record.departed).sort(([, a], [, b]) => a - b);
  for (const [id, until] of departed) state.departed.set(id, until);
  return state;
};

/**
 * PresenceStore in process memory. A caller can never change a stored record
 * except through compareAndSet or commitUpdate: `get` builds a fresh record,
 * and snapshots only read.
 *
 * A user with few connections and tombstones (by default at most 32) is kept as one
 * serialised record (its fields by position), as a database would keep it: one short string rather
 * than a tree of objects keyed by random connection ids, each of which would
 * get a hidden class of its own in V8. Applying a fact re-reads and rewrites
 * that bounded record. Past 32, the user is kept indexed instead: maps of
 * connections and tombstones, with an expiry heap, which `commitUpdate`
 * changes in place, so each fact costs O(log n) in the user's connections
 * rather than a copy of them all. It goes back to the compact form at 8
 * (`compactAt`), so a user near the threshold does not switch on every fact.
 */
class InMemoryPresenceStore implements PresenceStore {
  /** Compact users: the serialised record, and its version. */
  private readonly records = new Map<string, string>();
  private readonly versions = new Map<string, number>();
  /** Indexed users. */
  private readonly indexed = new Map<string, UserState>();
  /** Users with a connection that can expire, by their earliest expiry. */
  private readonly expiries = new Map<string, number>();
  private readonly indexAbove: number;
  private readonly compactAt: number;

  constructor(options: InMemoryPresenceStoreOptions = {}) {
    this.indexAbove = options.indexAbove ?? 32;
    this.compactAt = Math.min(options.compactAt ?? 8, this.indexAbove);
  }

  async get(userId: string): Promise<PresenceRecord | undefined> {
    return this.recordOf(userId);
  }

  async getMany(userIds: readonly string[]): Promise<readonly PresenceRecord[]> {
    const found: PresenceRecord[] = [];
    for (const userId of new Set(userIds)) {
      const record = this.recordOf(userId);
      if (record !== undefined) found.push(record);
    }
    return found;
  }

  async compareAndSet(next: PresenceRecord, expectedVersion: number): Promise<boolean> {
    if (this.versionOf(next.userId) !== expectedVersion) return false;
    this.store(next);
    return true;
  }

  async listExpiring(at: number, limit: number): Promise<readonly string[]> {
    const due: string[] = [];
    for (const [userId, expiry] of this.expiries) {
      if (due.length >= limit) break;
      if (expiry <= at) due.push(userId);
    }
    return due;
  }

  async snapshot(userId: string): Promise<PresenceSnapshot> {
    const state = this.indexed.get(userId);
    if (state !== undefined) return snapshotOf(userId, state);
    const text = this.records.get(userId);
    return text === undefined
      ? emptySnapshot(userId)
      : snapshotOfRecord(unpack(userId, text), userId);
  }

  async commitUpdate(
    base: PresenceSnapshot,
    update: PresenceUpdate,
  ): Promise<PresenceSnapshot | undefined> {
    const { userId } = update;
    if (this.versionOf(userId) !== base.version) return undefined;
    const state = this.indexed.get(userId);
    if (state === undefined) {
      const text = this.records.get(userId);
      const current = text === undefined ? undefined : unpack(userId, text);
      const next = applyPresenceUpdate(current, update);
      this.store(next);
      return this.snapshot(userId);
    }
    for (const id of update.forget) state.departed.delete(id);
    for (const id of update.disconnect) state.connections.delete(id);
    for (const [id, until] of update.tombstones) {
      state.departed.delete(id);
      state.departed.set(id, until);
    }
    for (const [id, expiresAt] of update.connect) {
      state.connections.set(id, expiresAt);
      state.expiries.push(expiresAt, id);
    }
    state.version = update.version;
    state.online = update.online;
    state.lastSeenAt = update.lastSeenAt;
    state.changedAt = update.changedAt;
    state.pending = [...update.pending];
    state.nextExpiryAt = earliestOf(
      state.expiries.earliest(state.connections),
      earliestLease(state.pending),
    );
    if (state.connections.size + state.departed.size <= this.compactAt) {
      this.store(recordOfState(userId, state));
    } else {
      this.indexExpiry(userId, state.nextExpiryAt);
    }
    return this.snapshot(userId);
  }

  private versionOf(userId: string): number {
    return this.indexed.get(userId)?.version ?? this.versions.get(userId) ?? 0;
  }

  private recordOf(userId: string): PresenceRecord | undefined {
    const state = this.indexed.get(userId);
    if (state !== undefined) return recordOfState(userId, state);
    const text = this.records.get(userId);
    return text === undefined ? undefined : unpack(userId, text);
  }

  /** Keeps `record` as the user's, in the form its size calls for. */
  private store(record: PresenceRecord): void {
    const { userId } = record;
    if (sizeOf(record) > this.indexAbove) {
      this.records.delete(userId);
      this.versions.delete(userId);
      this.indexed.set(userId, indexedStateOf(record));
    } else {
      this.indexed.delete(userId);
      this.records.set(userId, pack(record));
      this.versions.set(userId, record.version);
    }
    this.indexExpiry(userId, record.nextExpiryAt);
  }

  private indexExpiry(userId: string, nextExpiryAt: number | undefined): void {
    if (nextExpiryAt === undefined) this.expiries.delete(userId);
    else this.expiries.set(userId, nextExpiryAt);
  }
}

/**
 * A compact user's record as it is kept: its fields by position, without
 * the user id (the map's key) or field names, which would be most of it.
 */
type PackedRecord = [
  version: number,
  online: 0 | 1,
  connections: Readonly<Record<string, number>>,
  departed: Readonly<Record<string, number>>,
  lastSeenAt: number,
  changedAt: number | null,
  nextExpiryAt: number | null,
  pending: readonly OutboxEntry[],
];

const pack = (record: PresenceRecord): string =>
  JSON.stringify([
    record.version,
    record.online ? 1 : 0,
    record.connections,
    record.departed,
    record.lastSeenAt,
    record.changedAt ?? null,
    record.nextExpiryAt ?? null,
    record.pending,
  ] satisfies PackedRecord);

const unpack = (userId: string, text: string): PresenceRecord => {
  const [version, online, connections, departed, lastSeenAt, changedAt, nextExpiryAt, pending] =
    JSON.parse(text) as PackedRecord;
  return {
    userId,
    version,
    online: online === 1,
    connections,
    departed,
    lastSeenAt,
    ...(changedAt === null ? {} : { changedAt }),
    ...(nextExpiryAt === null ? {} : { nextExpiryAt }),
    pending,
  };
};

const earliestOf = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

const recordOfState = (userId: string, state: UserState): PresenceRecord => ({
  userId,
  version: state.version,
  online: state.online,
  connections: Object.fromEntries(state.connections),
  departed: Object.fromEntries(state.departed),
  lastSeenAt: state.lastSeenAt,
  ...(state.changedAt === undefined ? {} : { changedAt: state.changedAt }),
  ...(state.nextExpiryAt === undefined ? {} : { nextExpiryAt: state.nextExpiryAt }),
  pending: [...state.pending],
});

export type { InMemoryPresenceStoreOptions };
export { InMemoryPresenceStore };
