import type {
  BroadcastShard,
  ChannelAdded,
  Clock,
  ConnectionRecord,
  ConnectionStore,
  ListOptions,
  Page,
} from '@herald/domain';

const DEFAULT_PAGE = 500;

/** FNV-1a, so a connection always lands in the same broadcast shard. */
const shardOf = (connectionId: string, totalSegments: number): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < connectionId.length; i++) {
    hash ^= connectionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % totalSegments;
};

/**
 * An index from a key (user, channel) to connection ids. Most users hold one
 * connection, so a lone id is stored as itself, and a Set only once there are
 * several: a Set per user would cost more than the rest of the index.
 */
type Index = Map<string, string | Set<string>>;

const addTo = (index: Index, key: string, id: string): void => {
  const members = index.get(key);
  if (members === undefined || members === id) index.set(key, id);
  else if (typeof members === 'string') index.set(key, new Set([members, id]));
  else members.add(id);
};

const removeFrom = (index: Index, key: string, id: string): void => {
  const members = index.get(key);
  if (members === id) index.delete(key);
  else if (members !== undefined && typeof members !== 'string') {
    members.delete(id);
    if (members.size === 1) index.set(key, members.values().next().value as string);
  }
};

const membersOf = (index: Index, key: string): string[] => {
  const members = index.get(key);
  if (members === undefined) return [];
  return typeof members === 'string' ? [members] : [...members];
};

/** Index of the first id greater than `cursor` in sorted `ids`. */
const firstAfter = (ids: readonly string[], cursor: string): number => {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((ids[mid] as string) <= cursor) low = mid + 1;
    else high = mid;
  }
  return low;
};

/**
 * ConnectionStore in process memory, indexed by user and by channel so that
 * neither lookup scans. Pages are ordered by connection id; the cursor is the
 * last id of the previous page.
 */
class InMemoryConnectionStore implements ConnectionStore {
  private readonly records = new Map<string, ConnectionRecord>();
  private readonly byUser: Index = new Map();
  private readonly byChannel: Index = new Map();
  /** Counts membership changes, so sorted listings can be reused until the next one. */
  private changes = 0;
  private sortedAt = -1;
  private readonly sortedCache = new Map<string, readonly string[]>();

  constructor(private readonly clock: Clock) {}

  async put(record: ConnectionRecord): Promise<void> {
    if (this.live(record.connectionId, this.clock.now())?.userId === record.userId) return;
    this.remove(record.connectionId);
    this.records.set(record.connectionId, record);
    addTo(this.byUser, record.userId, record.connectionId);
    for (const channel of record.channels) addTo(this.byChannel, channel, record.connectionId);
    this.changes++;
  }

  async get(connectionId: string): Promise<ConnectionRecord | undefined> {
    return this.live(connectionId, this.clock.now());
  }

  async delete(connectionId: string): Promise<ConnectionRecord | undefined> {
    const record = this.live(connectionId, this.clock.now());
    this.remove(connectionId);
    return record;
  }

  async touch(connectionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean> {
    const record = this.live(connectionId, this.clock.now());
    if (record === undefined) return false;
    this.records.set(connectionId, { ...record, lastSeenAt, expiresAt });
    return true;
  }

  async addChannel(
    connectionId: string,
    channel: string,
    maxChannels: number,
  ): Promise<ChannelAdded> {
    const record = this.live(connectionId, this.clock.now());
    if (record === undefined) return 'absent';
    if (record.channels.includes(channel)) return 'added';
    if (record.channels.length >= maxChannels) return 'full';
    this.records.set(connectionId, { ...record, channels: [...record.channels, channel] });
    addTo(this.byChannel, channel, connectionId);
    this.changes++;
    return 'added';
  }

  async removeChannel(connectionId: string, channel: string): Promise<boolean> {
    const record = this.live(connectionId, this.clock.now());
    if (record === undefined) return false;
    if (record.channels.includes(channel)) {
      this.records.set(connectionId, {
        ...record,
        channels: record.channels.filter((c) => c !== channel),
      });
      removeFrom(this.byChannel, channel, connectionId);
      this.changes++;
    }
    return true;
  }

  async listByUser(userId: string): Promise<readonly ConnectionRecord[]> {
    const now = this.clock.now();
    const found: ConnectionRecord[] = [];
    for (const id of membersOf(this.byUser, userId)) {
      const record = this.live(id, now);
      if (record !== undefined) found.push(record);
    }
    return found;
  }

  async listByChannel(channel: string, options: ListOptions = {}): Promise<Page<ConnectionRecord>> {
    const ids = this.sorted(`channel:${channel}`, () => membersOf(this.byChannel, channel));
    return this.page(ids, options);
  }

  async scan(shard: BroadcastShard, options: ListOptions = {}): Promise<Page<ConnectionRecord>> {
    const { segment, totalSegments } = shard;
    const ids = this.sorted(`scan:${segment}/${totalSegments}`, () =>
      totalSegments === 1
        ? [...this.records.keys()]
        : [...this.records.keys()].filter((id) => shardOf(id, totalSegments) === segment),
    );
    return this.page(ids, options);
  }

  /** How many records are held, expired ones included (for tests and memory checks). */
  get size(): number {
    return this.records.size;
  }

  /**
   * Ids in order, sorted once per change of the store rather than once per
   * page: a broadcast reads many pages, and re-sorting every id for each one
   * cost more than writing to the sockets.
   */
  private sorted(key: string, ids: () => string[]): readonly string[] {
    if (this.sortedAt !== this.changes) {
      this.sortedCache.clear();
      this.sortedAt = this.changes;
    }
    let cached = this.sortedCache.get(key);
    if (cached === undefined) {
      cached = ids().sort();
      this.sortedCache.set(key, cached);
    }
    return cached;
  }

  private page(ids: readonly string[], options: ListOptions): Page<ConnectionRecord> {
    const limit = options.limit ?? DEFAULT_PAGE;
    const now = this.clock.now();
    const items: ConnectionRecord[] = [];
    let index = options.cursor === undefined ? 0 : firstAfter(ids, options.cursor);
    for (; index < ids.length && items.length < limit; index++) {
      const record = this.live(ids[index] as string, now);
      if (record !== undefined) items.push(record);
    }
    const last = ids[index - 1];
    return index < ids.length && last !== undefined ? { items, cursor: last } : { items };
  }

  /** The record if it has not expired; an expired one is dropped on the way. */
  private live(connectionId: string, now: number): ConnectionRecord | undefined {
    const record = this.records.get(connectionId);
    if (record === undefined) return undefined;
    if (record.expiresAt > now) return record;
    this.remove(connectionId);
    return undefined;
  }

  private remove(connectionId: string): void {
    const record = this.records.get(connectionId);
    if (record === undefined) return;
    this.records.delete(connectionId);
    removeFrom(this.byUser, record.userId, connectionId);
    for (const channel of record.channels) removeFrom(this.byChannel, channel, connectionId);
    this.changes++;
  }
}

export { InMemoryConnectionStore, shardOf };
