import {
  type Clock,
  DEFAULT_HISTORY_RETENTION,
  type HistoryEntry,
  type HistoryRead,
  type HistoryRetention,
  type HistoryStore,
  type NewHistoryEntry,
  retentionOf,
  type StreamPosition,
} from '@herald/domain';

interface InMemoryHistoryStoreOptions {
  /** @default DEFAULT_HISTORY_RETENTION */
  readonly retention?: HistoryRetention;
  /** This store's epoch. @default a fresh random UUID: a restarted process starts a new epoch */
  readonly epoch?: string;
}

interface Stream {
  last: number;
  /** Retained entries, oldest first; at most the stream kind's `maxEntries`. */
  entries: HistoryEntry[];
}

/**
 * History in this process's memory, bounded per stream by its kind's
 * retention (entries past the count are dropped on append, entries past the
 * age on every append and read). It dies with the process, so each store has
 * its own epoch: a client holding offsets from before a restart is told
 * `recovered: false`.
 */
class InMemoryHistoryStore implements HistoryStore {
  readonly epoch: string;
  private readonly retention: HistoryRetention;
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly clock: Clock,
    options: InMemoryHistoryStoreOptions = {},
  ) {
    this.retention = options.retention ?? DEFAULT_HISTORY_RETENTION;
    this.epoch = options.epoch ?? globalThis.crypto.randomUUID();
  }

  async append(stream: string, entry: NewHistoryEntry): Promise<StreamPosition> {
    let kept = this.streams.get(stream);
    if (kept === undefined) {
      kept = { last: 0, entries: [] };
      this.streams.set(stream, kept);
    }
    const offset = ++kept.last;
    kept.entries.push({
      stream,
      offset,
      epoch: this.epoch,
      id: entry.id,
      data: entry.data,
      at: entry.at,
      ...(entry.excludeUsers === undefined ? {} : { excludeUsers: [...entry.excludeUsers] }),
    });
    const { maxEntries } = retentionOf(this.retention, stream);
    if (kept.entries.length > maxEntries) kept.entries.splice(0, kept.entries.length - maxEntries);
    this.prune(stream, kept);
    return { epoch: this.epoch, offset };
  }

  async read(stream: string, afterOffset: number): Promise<HistoryRead> {
    const kept = this.streams.get(stream);
    if (kept === undefined) return { epoch: this.epoch, offset: 0, entries: [] };
    this.prune(stream, kept);
    return {
      epoch: this.epoch,
      offset: kept.last,
      entries: kept.entries.filter((entry) => entry.offset > afterOffset),
    };
  }

  /** Drops the entries older than the stream kind's age. */
  private prune(stream: string, kept: Stream): void {
    const oldest = this.clock.now() - retentionOf(this.retention, stream).maxAgeMs;
    let drop = 0;
    while (drop < kept.entries.length && (kept.entries[drop] as HistoryEntry).at <= oldest) drop++;
    if (drop > 0) kept.entries.splice(0, drop);
  }
}

export type { InMemoryHistoryStoreOptions };
export { InMemoryHistoryStore };
