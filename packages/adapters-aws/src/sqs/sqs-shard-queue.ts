import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  type BroadcastShard,
  type ContinuationMessage,
  encodeContinuationMessage,
  encodeDeadLetterMessage,
  encodeShardMessage,
  type InboundError,
  type ShardQueue,
} from '@herald/domain';

/**
 * Re-enqueues a broadcast as one message per shard, so the shards run in
 * parallel invocations, a delivery's continuations, and the dead letters of
 * refused messages. On a FIFO queue each shard gets its own group;
 * continuations are grouped by request id, and go without their delay, which
 * FIFO queues only take queue-wide; dead letters share one group of their own.
 */
class SqsShardQueue implements ShardQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(request: unknown, shards: readonly BroadcastShard[]): Promise<void> {
    const fifo = this.queueUrl.endsWith('.fifo');
    for (let i = 0; i < shards.length; i += 10) {
      const batch = shards.slice(i, i + 10);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((shard) => ({
            Id: String(shard.segment),
            MessageBody: encodeShardMessage(request, shard),
            ...(fifo
              ? {
                  MessageGroupId: `shard-${shard.segment}`,
                  MessageDeduplicationId: `${Date.now()}-${shard.segment}`,
                }
              : {}),
          })),
        }),
      );
      if ((result.Failed ?? []).length > 0) {
        throw new Error(
          `${result.Failed?.length} shard message(s) were not enqueued: ${result.Failed?.[0]?.Message ?? ''}`,
        );
      }
    }
  }

  /**
   * One SendMessage per continuation: a continuation carries the payload and
   * up to a thousand connection ids, so a batch of ten could pass SQS's
   * per-request size cap.
   */
  async carry(continuations: readonly ContinuationMessage[]): Promise<void> {
    const fifo = this.queueUrl.endsWith('.fifo');
    for (const continuation of continuations) {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: encodeContinuationMessage(continuation),
          ...(fifo
            ? {
                MessageGroupId: continuation.requestId ?? 'herald-continuation',
                MessageDeduplicationId: randomUUID(),
              }
            : { DelaySeconds: Math.max(0, Math.min(900, continuation.delaySeconds)) }),
        }),
      );
    }
  }

  async deadLetter(body: string, reason: InboundError): Promise<void> {
    const fifo = this.queueUrl.endsWith('.fifo');
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: encodeDeadLetterMessage(body, reason),
        ...(fifo
          ? { MessageGroupId: 'herald-dead-letter', MessageDeduplicationId: randomUUID() }
          : {}),
      }),
    );
  }
}

export { SqsShardQueue };
