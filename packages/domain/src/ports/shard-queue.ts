import type { BroadcastShard } from '../model/connection.js';
import type { ContinuationMessage } from '../model/continuation.js';
import type { NotificationStamp } from '../model/stream.js';
import type { InboundError } from '../parsing/inbound-notification.js';

/**
 * The queue a notification message came from, as the intake writes back to
 * it: a broadcast's shard messages, and continuations of a delivery that ran
 * out of time. Each is delivered on its own (on AWS, by parallel invocations
 * of the notifications queue's consumer; on the embedded server, by its input
 * poller). `request` is the request as the backend sent it, so a shard or
 * continuation message parses like any other. And the dead letters of the
 * messages it refused.
 */
interface ShardQueue {
  /** Enqueues a broadcast's shard messages; `stamp`, where the request was kept, goes with each. */
  enqueue(
    request: unknown,
    shards: readonly BroadcastShard[],
    stamp?: NotificationStamp,
  ): Promise<void>;
  /**
   * Enqueues continuations, each kept out of sight for its `delaySeconds`.
   * Resolves only once every one is on the queue: the caller acknowledges its
   * own message after that.
   */
  carry(continuations: readonly ContinuationMessage[]): Promise<void>;
  /**
   * Sets a refused message aside: enqueues its dead letter (the body as it
   * came, and `reason`; see `encodeDeadLetterMessage`), which fails each time
   * it is received, so that the queue moves it to its dead-letter queue with
   * the reason. Resolves once it is on the queue: the caller acknowledges the
   * refused message after that.
   */
  deadLetter(body: string, reason: InboundError): Promise<void>;
}

export type { ShardQueue };
