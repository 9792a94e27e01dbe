import type {
  BroadcastShard,
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

const addTo = (index: Map<string, Set<string>>, key: string, id: string) => {
  let members = index.get(key);
  if (members === undefined) {
    members = new Set();
    index.set(key, members);
  }
  members.add(id);
};

const removeFrom = (index: Map<string, Set<string>>, key: string, id: string) => {
  const members = index.get(key);
  if (members === undefined) return;
  members.delete(id);
  if (members.size === 0) index.delete(key);
};

/**
 * ConnectionStore in process memory, indexed by user and by channel so that
 * neither lookup scans. Pages are ordered by connection id; the cursor is the
 * last id of the previous page.
 */
class InMemoryConnectionStore implements ConnectionStore {
  private readonly records = new Map<string, ConnectionRecord>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly byChannel = new Map<string, Set<string>>();

  constructor(private readonly clock: Clock) {}

  async put(record: ConnectionRecord): Promise<void> {
    this.remove(record.connectionId);
    this.records.set(record.connectionId, record);
    addTo(this.byUser, record.userId, record.connectionId);
    for (const channel of record.channels) addTo(this.byChannel, channel, record.connectionId);
  }

  async get(connectionId: string): Promise<ConnectionRecord | undefined> {
    return this.live(connectionId);
  }

  async delete(connectionId: string): Promise<ConnectionRecord | undefined> {
    const record = this.live(connectionId);
    this.remove(connectionId);
    return record;
  }

  async touch(connectionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean> {
    const record = this.live(connectionId);
    if (record === undefined) return false;
    this.records.set(connectionId, { ...record, lastSeenAt, expiresAt });
    return true;
  }

  async addChannel(connectionId: string, channel: string): Promise<boolean> {
    const record = this.live(connectionId);
    if (record === undefined) return false;
    if (!record.channels.includes(channel)) {
      this.records.set(connectionId, { ...record, channels: [...record.channels, channel] });
      addTo(this.byChannel, channel, connectionId);
    }
    return true;
  }

  async removeChannel(connectionId: string, channel: string): Promise<boolean> {
    const record = this.live(connectionId);
    if (record === undefined) return false;
    if (record.channels.includes(channel)) {
      this.records.set(connectionId, {
        ...record,
        channels: record.channels.filter((c) => c !== channel),
      });
      removeFrom(this.byChannel, channel, connectionId);
    }
    return true;
  }

  async listByUser(userId: string): Promise<readonly ConnectionRecord[]> {
    return this.liveAmong(this.byUser.get(userId));
  }

  async listByChannel(channel: string, options: ListOptions = {}): Promise<Page<ConnectionRecord>> {
    return this.page([...(this.byChannel.get(channel) ?? [])], options);
  }

  async scan(shard: BroadcastShard, options: ListOptions = {}): Promise<Page<ConnectionRecord>> {
    const ids: string[] = [];
    for (const id of this.records.keys()) {
      if (shardOf(id, shard.totalSegments) === shard.segment) ids.push(id);
    }
    return this.page(ids, options);
  }

  /** How many records are held, expired ones included (for tests and memory checks). */
  get size(): number {
    return this.records.size;
  }

  private page(
    ids: string[],
    { cursor, limit = DEFAULT_PAGE }: ListOptions,
  ): Page<ConnectionRecord> {
    ids.sort();
    const from = cursor === undefined ? 0 : firstAfter(ids, cursor);
    const items: ConnectionRecord[] = [];
    let index = from;
    for (; index < ids.length && items.length < limit; index++) {
      const record = this.live(ids[index] as string);
      if (record !== undefined) items.push(record);
    }
    const last = ids[index - 1];
    return index < ids.length && last !== undefined ? { items, cursor: last } : { items };
  }

  private liveAmong(ids: Iterable<string> | undefined): ConnectionRecord[] {
    const found: ConnectionRecord[] = [];
    for (const id of [...(ids ?? [])]) {
      const record = this.live(id);
      if (record !== undefined) found.push(record);
    }
    return found;
  }

  /** The record if it has not expired; an expired one is dropped on the way. */
  private live(connectionId: string): ConnectionRecord | undefined {
    const record = this.records.get(connectionId);
    if (record === undefined) return undefined;
    if (record.expiresAt > this.clock.now()) return record;
    this.remove(connectionId);
    return undefined;
  }

  private remove(connectionId: string): void {
    const record = this.records.get(connectionId);
    if (record === undefined) return;
    this.records.delete(connectionId);
    removeFrom(this.byUser, record.userId, connectionId);
    for (const channel of record.channels) removeFrom(this.byChannel, channel, connectionId);
  }
}

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

export { InMemoryConnectionStore, shardOf };
