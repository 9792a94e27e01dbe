import {
  BatchProcessor,
  EventType,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { unwrapSns } from '@herald/adapters-aws/sns';
import { SystemClock } from '@herald/adapters-node';
import {
  type Clock,
  DeliveryExhaustedError,
  type MetricsRecorder,
  NO_METRICS,
  type NotificationFanout,
  NotificationIntake,
  type NotificationIntakeOptions,
  outcomeLog,
  parseQueuedNotification,
  RefusedMessageError,
  recordDelivery,
  type ShardQueue,
} from '@herald/domain';
import type { Context, SNSEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

interface NotificationDeps {
  readonly fanout: NotificationFanout;
  readonly shardQueue: ShardQueue;
  readonly logger: Logger;
  /** The clock the deadline is set on (the fanout's). @default the system clock */
  readonly clock?: Clock;
  /**
   * Time kept back from the invocation's end, in ms: no post starts later,
   * so the posts in flight (each bounded by the gateway's timeout, 5 s by
   * default) and the continuations' enqueueing finish before Lambda stops the
   * invocation. At most half the remaining time is kept back. @default 7000
   */
  readonly deadlineMarginMs?: number;
  /** The bound on continuations and their delays. */
  readonly intake?: NotificationIntakeOptions;
  /** Told how each request and its targets ended. @default NO_METRICS */
  readonly metrics?: MetricsRecorder;
}

/** Remaining time assumed when there is no Lambda context (a direct call). */
const NO_CONTEXT_REMAINING_MS = 30_000;

/**
 * The deadline of one message's delivery: the invocation's remaining time
 * less the margin (or half the remaining time, whichever is later), on the
 * domain's clock.
 */
const deadlineOf = (clock: Clock, context: Context | undefined, marginMs: number): number => {
  const remaining = Math.max(0, context?.getRemainingTimeInMillis() ?? NO_CONTEXT_REMAINING_MS);
  return clock.now() + Math.max(remaining - marginMs, Math.floor(remaining / 2));
};

/**
 * Handles one notification message body: parse it (the domain's one entry
 * point, shard and continuation messages accepted), hand it to
 * NotificationIntake with a deadline of the invocation's remaining time less
 * a margin, log the outcome. What the deadline leaves unfinished is on the
 * queue as continuations before this resolves, so the record may be deleted.
 * A malformed body is set aside on the queue as a dead letter with its
 * reason (logged), and resolves, so the record is deleted; the dead letter,
 * like a dead-letter continuation, throws when it is received, so that SQS
 * moves it to the DLQ, reason and body together.
 */
const makeRequestHandler = (deps: NotificationDeps) => {
  const { fanout, shardQueue, logger } = deps;
  const clock = deps.clock ?? new SystemClock();
  const marginMs = deps.deadlineMarginMs ?? 7000;
  const metrics = deps.metrics ?? NO_METRICS;
  const intake = new NotificationIntake(fanout, shardQueue, deps.intake);
  return async (body: string, context: Context | undefined): Promise<void> => {
    const parsed = await parseQueuedNotification(unwrapSns(body), shardQueue).catch((error) => {
      // A dead letter received back was counted when its request was set aside.
      if (!(error instanceof RefusedMessageError)) metrics.notification('rejected');
      throw error;
    });
    if (parsed.kind === 'set_aside') {
      metrics.notification('rejected');
      logger.error('notification request refused; set aside with its reason for the DLQ', {
        code: parsed.error.code,
        reason: parsed.error.message,
      });
      return;
    }
    const started = clock.now();
    const deadline = deadlineOf(clock, context, marginMs);
    const outcome = await intake.accept(parsed.message, { deadline });
    // A split hands its shards on and a duplicate delivers nothing: neither has a report.
    if ('report' in outcome) recordDelivery(metrics, outcome.report, clock.now() - started);
    const { level, message, fields } = outcomeLog(parsed.message.request.id, outcome);
    logger[level](message, fields);
  };
};

/**
 * The notifications queue's consumer. Each record succeeds or fails on its
 * own and Powertools reports only the failed ones back to SQS, so a failed
 * request is retried alone and reaches the DLQ after maxReceiveCount (a
 * malformed one by way of its dead letter, with its reason).
 */
const makeNotificationsHandler = (deps: NotificationDeps) => {
  const handle = makeRequestHandler(deps);
  const standard = new BatchProcessor(EventType.SQS);
  // On a FIFO queue, a failed message stops the rest of its group, which SQS
  // then redelivers in order.
  const fifo = new SqsFifoPartialProcessorAsync();
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const handleRecord = async (record: SQSRecord) => {
      try {
        await handle(record.body, context);
      } catch (error) {
        deps.logger.error('notification request failed', {
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          reason: error instanceof Error ? error.message : String(error),
          ...(error instanceof DeliveryExhaustedError
            ? { code: error.code, undelivered: error.failures.slice(0, 10) }
            : {}),
        });
        throw error;
      }
    };
    return event.Records[0]?.eventSourceARN?.endsWith('.fifo')
      ? processPartialResponse(event, handleRecord, fifo, {
          context,
          throwOnFullBatchFailure: false,
        })
      : processPartialResponse(event, handleRecord, standard, {
          context,
          throwOnFullBatchFailure: false,
        });
  };
};

/** The input topic's subscriber. SNS retries a failed invocation, then sends it to the subscription's DLQ. */
const makeTopicNotificationsHandler = (deps: NotificationDeps) => {
  const handle = makeRequestHandler(deps);
  return async (event: SNSEvent, context: Context): Promise<void> => {
    for (const record of event.Records) await handle(record.Sns.Message, context);
  };
};

export type { NotificationDeps };
export { makeNotificationsHandler, makeRequestHandler, makeTopicNotificationsHandler };
