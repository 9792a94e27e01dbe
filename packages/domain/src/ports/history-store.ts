import type { HistoryEntry, StreamPosition } from '../model/stream.js';

/** An entry to append; the store assigns its offset and epoch. */
interface NewHistoryEntry {
  readonly id: string;
  /** The request's `data`, JSON-encoded. */
  readonly data: string;
  /** Epoch ms; the entry's age is counted from it. */
  readonly at: number;
  readonly excludeUsers?: readonly string[];
}

/** What a read of one stream found. */
interface HistoryRead {
  /** The stream's epoch now. */
  readonly epoch: string;
  /** The stream's last offset in that epoch (0 when nothing was appended yet). */
  readonly offset: number;
  /**
   * The retained entries after the offset asked for, in offset order. An
   * entry past its stream's retention (by count or by age) is absent, even
   * where storage has not removed it yet.
   */
  readonly entries: readonly HistoryEntry[];
}

/**
 * The streams' history. Offsets in one stream are assigned by the store,
 * atomically: writers racing on one stream (several nodes or Lambdas) each get
 * their own offset, 1, 2, 3… with no gap and no repeat within an epoch. The
 * epoch changes whenever the stream's history may have been lost (a memory
 * store that restarted); a client holding another epoch cannot be told what
 * it missed.
 */
interface HistoryStore {
  /** Appends one entry to the end of a stream; resolves with the position it was given. */
  append(stream: string, entry: NewHistoryEntry): Promise<StreamPosition>;
  /** Reads the retained entries of a stream after `afterOffset` (0: all of them). */
  read(stream: string, afterOffset: number): Promise<HistoryRead>;
}

export type { HistoryRead, HistoryStore, NewHistoryEntry };
