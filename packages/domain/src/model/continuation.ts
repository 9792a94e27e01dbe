import type { BroadcastShard } from './connection.js';
import type { NotificationStamp } from './stream.js';

/** A target that did not end delivered or gone, and why. */
interface DeliveryFailure {
  readonly connectionId: string;
  readonly reason: string;
}

/**
 * The rest of a request, carried into a later message when an invocation
 * nears its end. It names exactly the connections still to post (resolution
 * and excludes were applied when the request was first resolved), so no
 * connection that already got the notification is posted again. A broadcast
 * shard's continuation also carries the cursor its listing resumes after.
 *
 * A continuation is not a repeat of the request by its sender: it is marked
 * in the envelope (`herald_continuation`), beside the request as sent.
 */
interface Continuation {
  /**
   * Retry continuations that came before this one. Targets that were only
   * left unstarted (the deadline came first) keep their attempt; targets still
   * throttled or unreachable go on with `attempt + 1`.
   */
  readonly attempt: number;
  /** Exactly these connections are posted. */
  readonly connections: readonly string[];
  /**
   * With a shard: the listing resumes after this cursor. Absent with a shard:
   * the listing starts from the shard's first page.
   */
  readonly cursor?: string;
  /**
   * Past the bound on continuations: these targets are not posted again, and
   * the message fails on purpose, so the queue moves it (with the reasons) to
   * its dead-letter queue.
   */
  readonly exhausted?: readonly DeliveryFailure[];
}

/** One continuation as it goes onto the queue. */
interface ContinuationMessage {
  /** The request as the sender wrote it (any accepted format). */
  readonly request: unknown;
  /** The request's id, when it has one (FIFO queues group by it). */
  readonly requestId?: string;
  /** Present when the continuation resumes a broadcast shard's listing. */
  readonly shard?: BroadcastShard;
  readonly continuation: Continuation;
  /** How long the queue keeps the message out of sight (SQS DelaySeconds, 0 to 900). */
  readonly delaySeconds: number;
  /** Where the request was kept, so the continuation frames the same envelopes (`herald_stamp`). */
  readonly stamp?: NotificationStamp;
}

export type { Continuation, ContinuationMessage, DeliveryFailure };
