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
  /**
   * This store's epoch; each stream's epoch is it and the stream's generation
   * in this store. @default a fresh random UUID: a restarted process starts new epochs
   */
  readonly epoch?: string;
}

interface Stream {
  readonly epoch: string;
  last: number;
  /** Last append or read, epoch ms. */
  usedAt: number;
  /** Retained entries, oldest first; at most the stream kind's `maxEntries`. */
  entries: HistoryEntry[];
}

/** Streams looked at for sweeping per append or read. */
const SWEEP_PER_CALL = 4;

/**
 * History in this process's memory, bounded per stream by its kind's
 * retention (entries past the count are dropped on append, entries past the
 * age on every append and read). It dies with the process, so each store has
 * its own epoch: a client holding offsets from before a restart is told
 * `recovered: false`.
 *
 * Streams unused for longer than their kind's age, and so holding no entry,
 * are forgotten, a few per call, so memory follows the streams in use; a
 * forgotten stream that comes back starts a new epoch (its history was lost,
 * as far as a client can tell).
 */
class InMemoryHistoryStore implements HistoryStore {
  readonly epoch: string;
  private readonly retention: HistoryRetention;
  private readonly streams = new Map<string, Stream>();
  private generation = 0;
  private sweeper: Iterator<[string, Stream]> | undefined;

  constructor(
    private readonly clock: Clock,
    options: InMemoryHistoryStoreOptions = {},
  ) {
    this.retention = options.retention ?? DEFAULT_HISTORY_RETENTION;
    this.epoch = options.epoch ?? globalThis.crypto.randomUUID();
  }

  async append(stream: string, entry: NewHistoryEntry): Promise<StreamPosition> {
    const kept = this.use(stream);
    const offset = ++kept.last;
    kept.entries.push({
      stream,
      offset,
      epoch: kept.epoch,
      id: entry.id,
      data: entry.data,
      at: entry.at,
      ...(entry.excludeUsers === undefined ? {} : { excludeUsers: [...entry.excludeUsers] }),
    });
    const { maxEntries } = retentionOf(this.retention, stream);
    if (kept.entries.length > maxEntries) kept.entries.splice(0, kept.entries.length - maxEntries);
    this.prune(stream, kept);
    return { epoch: kept.epoch, offset };
  }

  async read(stream: string, afterOffset: number): Promise<HistoryRead> {
    const kept = this.use(stream);
    this.prune(stream, kept);
    return {
      epoch: kept.epoch,
      offset: kept.last,
      entries: kept.entries.filter((entry) => entry.offset > afterOffset),
    };
  }

  /** Streams held now (for tests of the sweep). */
  get size(): number {
    return this.streams.size;
  }

  /** The stream, made when absent (a read of it fixes the epoch its first append keeps). */
  private use(stream: string): Stream {
    const now = this.clock.now();
    this.sweep(now);
    let kept = this.streams.get(stream);
    if (kept === undefined) {
      kept = { epoch: `${this.epoch}.${++this.generation}`, last: 0, usedAt: now, entries: [] };
      this.streams.set(stream, kept);
    }
    kept.usedAt = now;
    return kept;
  }

  /** Looks at the next few streams, round the map, and forgets those unused past their age. */
  private sweep(now: number): void {
    for (let i = 0; i < SWEEP_PER_CALL; i++) {
      this.sweeper ??= this.streams.entries();
      const next = this.sweeper.next();
      if (next.done === true) {
        this.sweeper = undefined;
        return;
      }
      const [stream, kept] = next.value;
      if (now - kept.usedAt > retentionOf(this.retention, stream).maxAgeMs) {
        this.streams.delete(stream);
      }
    }
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
