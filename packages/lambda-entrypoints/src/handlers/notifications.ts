import {
  BatchProcessor,
  EventType,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { unwrapSns } from '@herald/adapters-aws/sqs';
import {
  isBroadcast,
  type NotificationFanout,
  parseNotificationRequest,
  ValidationError,
} from '@herald/domain';
import type { Context, SNSEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { isShardMessage, type ShardQueue } from '../composition/shard-queue.js';

interface NotificationDeps {
  readonly fanout: NotificationFanout;
  readonly shardQueue: ShardQueue;
  readonly logger: Logger;
}

/** Time kept back from the invocation's end, so throttled retries stop before Lambda stops them. */
const SAFETY_MARGIN_MS = 2000;

/**
 * Handles one notification request body: a broadcast is split into shard
 * messages re-enqueued to run in parallel; a shard or a targeted request is
 * delivered, with throttling retried until the invocation's remaining time
 * (less a margin) runs out. A malformed body throws, naming the field.
 */
const makeRequestHandler = ({ fanout, shardQueue, logger }: NotificationDeps) => {
  return async (body: string, context: Context | undefined): Promise<void> => {
    let input: unknown;
    try {
      input = JSON.parse(unwrapSns(body));
    } catch {
      throw new ValidationError('$', 'is not valid JSON');
    }
    const deadline =
      Date.now() + Math.max(0, (context?.getRemainingTimeInMillis() ?? 30_000) - SAFETY_MARGIN_MS);
    const shard = isShardMessage(input) ? input.herald_shard : undefined;
    const parsed = parseNotificationRequest(isShardMessage(input) ? input.request : input);
    if (!parsed.ok) throw parsed.error;
    const request = parsed.value;
    if (shard !== undefined) {
      const report = await fanout.deliverShard(request, shard, { deadline });
      logger.info('shard delivered', {
        requestId: request.id,
        shard,
        ...report,
        failures: report.failures.length,
      });
      return;
    }
    if (isBroadcast(request) && fanout.broadcastShards().length > 1) {
      fanout.encode(request);
      await shardQueue.enqueue(
        isShardMessage(input) ? input.request : input,
        fanout.broadcastShards(),
      );
      logger.info('broadcast split into shards', {
        requestId: request.id,
        shards: fanout.broadcastShards().length,
      });
      return;
    }
    const report = await fanout.deliver(request, { deadline });
    logger.info('notification delivered', {
      requestId: request.id,
      ...report,
      failures: report.failures.length,
    });
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
