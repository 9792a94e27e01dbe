import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type InboundError,
  type InboundNotification,
  type NotificationRequest,
  parseQueuedNotification,
  type ShardQueue,
} from '@herald/domain';
import { unwrapSns } from '../sns/unwrap-sns.js';
import { SqsShardQueue } from './sqs-shard-queue.js';

interface SqsRequestPollerOptions {
  readonly queueUrl: string;
  /** Long-poll wait, in seconds (0 to 20). @default 20 */
  readonly waitTimeSeconds?: number;
  /** Messages per receive (1 to 10). @default 10 */
  readonly batchSize?: number;
  /**
   * How long a received message stays out of sight, in seconds; asked for on
   * every receive when given. A message's delivery stops starting posts before
   * it ends (less `deadlineMarginMs`), so the message is not received again
   * while it is being delivered. @default the queue's own (read once at start; 30 if unreadable)
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Time kept back from the visibility timeout, in ms, for the posts in
   * flight and the continuations to be enqueued (at most half of it). @default 7000
   */
  readonly deadlineMarginMs?: number;
  /** Epoch ms now, on the same clock as the fanout's. @default Date.now */
  readonly now?: () => number;
  /** Told about each message left for redelivery (and, after maxReceiveCount, the DLQ), with why. */
  readonly onRejected?: (messageId: string, receiveCount: number, error: unknown) => void;
  /** Told about each malformed message set aside as a dead letter (and deleted), with why. */
  readonly onSetAside?: (messageId: string, error: InboundError) => void;
  /** Told when receiving fails; the poller backs off and tries again. */
  readonly onReceiveError?: (error: unknown) => void;
  /**
   * Told when the messages still being handled could not be kept out of
   * sight longer: they may then be received again (and delivered twice).
   */
  readonly onExtendError?: (error: unknown) => void;
}

/** A notification request as the poller received it: the request as sent, and parsed. */
interface PolledRequest {
  /** The request as the backend wrote it (JSON value, any accepted format). */
  readonly input: unknown;
  readonly request: NotificationRequest;
  /** The message parsed: a request, or Herald's own shard or continuation message. */
  readonly message: Exclude<InboundNotification, { kind: 'batch' }>;
  /** Epoch ms at which the delivery must stop starting posts (the visibility timeout, less a margin). */
  readonly deadline: number;
  /** This poller's queue, where shards and continuations go back to. */
  readonly queue: ShardQueue;
}

/**
 * Handles one message: its body (SNS envelope removed) and the request parsed
 * from it. Resolving deletes the message, so what the handler did not finish
 * by the deadline must be on `queue` (as continuations) by then. Rejecting
 * leaves the message on the queue.
 */
type RequestHandler = (body: string, polled: PolledRequest) => Promise<void>;

/**
 * Polls an SQS queue of notification requests for a long-running process
 * (the embedded server; on Lambda, the event source mapping does this).
 * Each message is parsed at this edge, by the domain's one entry point for
 * notification messages (which include Herald's own shard and continuation
 * messages, since continuations come back onto this queue), and handled on
 * its own: handled ones are deleted in one batch; a malformed one (the
 * handler is not called) is set aside as a dead letter, with its reason,
 * and deleted (see parseQueuedNotification); a failed one stays, to be
 * received again and, after the queue's maxReceiveCount, moved to its
 * dead-letter queue.
 */
class SqsRequestPoller {
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private visibleSeconds = 30;
  /** Shards and continuations go back onto the polled queue. */
  readonly queue: ShardQueue;

  constructor(
    private readonly client: SQSClient,
    private readonly options: SqsRequestPollerOptions,
  ) {
    this.queue = new SqsShardQueue(client, options.queueUrl);
  }

  start(handler: RequestHandler): void {
    this.running ??= this.loop(handler);
  }

  /** Stops receiving, and resolves once the messages already received are handled. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(handler: RequestHandler): Promise<void> {
    await this.readVisibilityTimeout();
    let backoffMs = 0;
    while (!this.abort.signal.aborted) {
      let messages: Message[];
      try {
        const result = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: this.options.batchSize ?? 10,
            WaitTimeSeconds: this.options.waitTimeSeconds ?? 20,
            ...(this.options.visibilityTimeoutSeconds === undefined
              ? {}
              : { VisibilityTimeout: this.options.visibilityTimeoutSeconds }),
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = result.Messages ?? [];
        backoffMs = 0;
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.options.onReceiveError?.(error);
        backoffMs = Math.min(30_000, Math.max(500, backoffMs * 2));
        await new Promise((resolve) => setTimeout(resolve, backoffMs).unref());
        continue;
      }
      await this.handle(messages, handler);
    }
  }

  private async readVisibilityTimeout(): Promise<void> {
    if (this.options.visibilityTimeoutSeconds !== undefined) {
      this.visibleSeconds = this.options.visibilityTimeoutSeconds;
      return;
    }
    try {
      const { Attributes } = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.options.queueUrl,
          AttributeNames: ['VisibilityTimeout'],
        }),
        { abortSignal: this.abort.signal },
      );
      const seconds = Number(Attributes?.VisibilityTimeout);
      if (Number.isFinite(seconds) && seconds > 0) this.visibleSeconds = seconds;
    } catch {
      // Keep SQS's default; receiving reports a queue that cannot be reached.
    }
  }

  /** When a batch received now must stop starting posts. */
  private deadline(): number {
    const visibleMs = this.visibleSeconds * 1000;
    const marginMs = Math.min(this.options.deadlineMarginMs ?? 7000, visibleMs / 2);
    return (this.options.now ?? Date.now)() + visibleMs - marginMs;
  }

  private async handle(messages: readonly Message[], handler: RequestHandler): Promise<void> {
    const handled: Message[] = [];
    const deadline = this.deadline();
    // Posting stops at the deadline, but the store calls before and after it
    // may be slow: every third of the visibility timeout (so a late timer on a
    // busy process still comes before it lapses), what is still being handled,
    // or handled and not yet deleted, is kept out of sight for another one, so
    // it is not received (and delivered) again while this process holds it.
    // A rejected message is let go, to be received again.
    const inHand = new Set(messages);
    const keeping = setInterval(
      () => {
        if (inHand.size > 0) this.keepOutOfSight([...inHand]);
      },
      (this.visibleSeconds * 1000) / 3,
    );
    keeping.unref();
    await Promise.all(
      messages.map(async (message) => {
        try {
          const body = unwrapSns(message.Body ?? '');
          const parsed = await parseQueuedNotification(body, this.queue);
          if (parsed.kind === 'set_aside') {
            this.options.onSetAside?.(message.MessageId ?? '', parsed.error);
            handled.push(message);
            return;
          }
          const notification = parsed.message;
          const { input, request } = notification;
          await handler(body, {
            input,
            request,
            message: notification,
            deadline,
            queue: this.queue,
          });
          handled.push(message);
        } catch (error) {
          const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
          this.options.onRejected?.(message.MessageId ?? '', receiveCount, error);
          inHand.delete(message);
        }
      }),
    );
    try {
      if (handled.length === 0) return;
      const { Failed: notDeleted = [] } = await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: handled.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      // Handled, but it stays on the queue and will be received again: said, not hidden.
      for (const failure of notDeleted) {
        const message = handled[Number(failure.Id)];
        const receiveCount = Number(message?.Attributes?.ApproximateReceiveCount ?? 1);
        this.options.onRejected?.(
          message?.MessageId ?? '',
          receiveCount,
          new Error(`handled but not deleted (${failure.Code}): it will be received again`),
        );
      }
    } finally {
      clearInterval(keeping);
    }
  }

  /** Hides these messages for another visibility timeout from now. */
  private keepOutOfSight(messages: readonly Message[]): void {
    this.client
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: this.visibleSeconds,
          })),
        }),
      )
      .then((result) => {
        const failed = result.Failed ?? [];
        if (failed.length > 0) {
          this.options.onExtendError?.(
            new Error(`visibility not extended: ${failed.map((f) => f.Code).join(', ')}`),
          );
        }
      })
      .catch((error: unknown) => this.options.onExtendError?.(error));
  }
}

export type { PolledRequest, RequestHandler, SqsRequestPollerOptions };
export { SqsRequestPoller };
