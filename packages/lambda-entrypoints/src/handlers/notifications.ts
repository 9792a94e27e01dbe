import {
  BatchProcessor,
  EventType,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { unwrapSns } from '@herald/adapters-aws/sns';
import {
  type IntakeOutcome,
  type NotificationFanout,
  NotificationIntake,
  parseInboundNotification,
  type ShardQueue,
} from '@herald/domain';
import type { Context, SNSEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

interface NotificationDeps {
  readonly fanout: NotificationFanout;
  readonly shardQueue: ShardQueue;
  readonly logger: Logger;
}

/** Time kept back from the invocation's end, so throttled retries stop before Lambda stops them. */
const SAFETY_MARGIN_MS = 2000;

const logOutcome = (logger: Logger, requestId: string | undefined, outcome: IntakeOutcome) => {
  switch (outcome.kind) {
    case 'split':
      return logger.info('broadcast split into shards', { requestId, shards: outcome.shards });
    case 'shard_delivered':
      return logger.info('shard delivered', {
        requestId,
        shard: outcome.shard,
        ...outcome.report,
        failures: outcome.report.failures.length,
      });
    case 'delivered':
      return logger.info('notification delivered', {
        requestId,
        ...outcome.report,
        failures: outcome.report.failures.length,
      });
  }
};

/**
 * Handles one notification message body: parse it (the domain's one entry
 * point, shard messages accepted), hand it to NotificationIntake with a
 * deadline of the invocation's remaining time less a margin, log the outcome.
 * A malformed body throws, naming the field.
 */
const makeRequestHandler = ({ fanout, shardQueue, logger }: NotificationDeps) => {
  const intake = new NotificationIntake(fanout, shardQueue);
  return async (body: string, context: Context | undefined): Promise<void> => {
    const parsed = parseInboundNotification(unwrapSns(body), { shard: true });
    if (!parsed.ok) throw parsed.error;
    if (parsed.value.kind === 'batch') throw new Error('unreachable: batches are not accepted');
    const deadline =
      Date.now() + Math.max(0, (context?.getRemainingTimeInMillis() ?? 30_000) - SAFETY_MARGIN_MS);
    const outcome = await intake.accept(parsed.value, { deadline });
    logOutcome(logger, parsed.value.request.id, outcome);
  };
};

/**
 * The notifications queue's consumer. Each record succeeds or fails on its
 * own and Powertools reports only the failed ones back to SQS, so a malformed
 * request is retried alone and reaches the DLQ after maxReceiveCount.
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

export { makeNotificationsHandler, makeRequestHandler, makeTopicNotificationsHandler };
