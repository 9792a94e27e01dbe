import { ConfigurationError } from '../errors.js';
import type { NotificationRequest } from '../model/notification-request.js';
import {
  type HistoryEntry,
  type NotificationStamp,
  type StreamPosition,
  streamsOf,
} from '../model/stream.js';
import type { Clock } from '../ports/clock.js';
import type { HistoryStore } from '../ports/history-store.js';
import type { IdempotencyStore } from '../ports/idempotency-store.js';
import { runBounded } from './bounded-pool.js';

interface NotificationHistoryOptions {
  /** How long a request id is remembered: a repeat within it delivers nothing. @default 600000 (10 minutes) */
  readonly idempotencyWindowMs?: number;
  /** Appends in flight at once, for a request to many users. @default 16 */
  readonly concurrency?: number;
  /** Makes the id of a request sent without one. @default crypto.randomUUID */
  readonly newId?: () => string;
}

/** What recording a request came to. */
type RecordOutcome =
  | { readonly kind: 'recorded'; readonly stamp: NotificationStamp }
  /** Another delivery of this id (by any node, Lambda or input) claimed it within the window. */
  | { readonly kind: 'duplicate'; readonly id: string };

/** What a resume found on one stream. */
interface StreamReplay {
  /** True when every entry after the client's offset, in its epoch, is in `entries`. */
  readonly recovered: boolean;
  /** The stream's epoch and last offset now: where the client stands once it has `entries`. */
  readonly position: StreamPosition;
  /** Entries to replay, in offset order (all retained ones after the offset, in the current epoch). */
  readonly entries: readonly HistoryEntry[];
}

/**
 * Keeps what was sent, so that a client can get back what it missed:
 * - **record**: before a request is delivered, its id is claimed (a request
 *   sent with an id is delivered at most once per id within the window; one
 *   sent without gets a fresh id), and its data is appended to each of its
 *   streams (`streamsOf`), which gives the stamp its envelopes carry;
 * - **replay**: what a stream holds after a client's position, and whether
 *   that is all the client missed.
 */
class NotificationHistory {
  private readonly windowMs: number;
  private readonly concurrency: number;
  private readonly newId: () => string;

  constructor(
    private readonly history: HistoryStore,
    private readonly idempotency: IdempotencyStore,
    private readonly clock: Clock,
    options: NotificationHistoryOptions = {},
  ) {
    this.windowMs = options.idempotencyWindowMs ?? 600_000;
    if (!Number.isInteger(this.windowMs) || this.windowMs < 1) {
      throw new ConfigurationError('idempotencyWindowMs', 'must be a positive whole number');
    }
    this.concurrency = options.concurrency ?? 16;
    this.newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  }

  /**
   * Claims the request's id and appends it to its streams. `data` is the
   * request's data as encoded for delivery. If an append fails, the claim is
   * given up, so that the sender's retry (or the queue's) is not a duplicate.
   */
  async record(request: NotificationRequest, data: string): Promise<RecordOutcome> {
    const at = this.clock.now();
    const id = request.id ?? this.newId();
    if (request.id !== undefined && !(await this.idempotency.claim(id, at, at + this.windowMs))) {
      return { kind: 'duplicate', id };
    }
    try {
      const positions: Record<string, StreamPosition> = {};
      const excludeUsers = request.excludeUsers.length > 0 ? request.excludeUsers : undefined;
      await runBounded(streamsOf(request), this.concurrency, async (stream) => {
        positions[stream] = await this.history.append(stream, {
          id,
          data,
          at,
          ...(excludeUsers === undefined ? {} : { excludeUsers }),
        });
      });
      return { kind: 'recorded', stamp: { id, positions } };
    } catch (error) {
      if (request.id !== undefined) await this.idempotency.release(id).catch(() => undefined);
      throw error;
    }
  }

  /**
   * What `userId` missed on `stream` since `since`. An offset of 0 asks for
   * every retained entry, whatever the epoch. Entries the request excluded the
   * user from are left out (they count as seen).
   */
  async replay(stream: string, since: StreamPosition, userId: string): Promise<StreamReplay> {
    let read = await this.history.read(stream, since.offset);
    const inEpoch = since.offset === 0 || read.epoch === since.epoch;
    // Another epoch: the client's offset means nothing here, so every retained entry is replayed.
    if (!inEpoch) read = await this.history.read(stream, 0);
    const first = inEpoch ? since.offset + 1 : 1;
    const recovered =
      inEpoch &&
      since.offset <= read.offset &&
      read.entries.length === read.offset - since.offset &&
      read.entries.every((entry, i) => entry.offset === first + i);
    return {
      recovered,
      position: { epoch: read.epoch, offset: read.offset },
      entries: read.entries.filter((entry) => !entry.excludeUsers?.includes(userId)),
    };
  }
}

export type { NotificationHistoryOptions, RecordOutcome, StreamReplay };
export { NotificationHistory };
