import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type BroadcastShard, encodeShardMessage, type ShardQueue } from '@herald/domain';

/**
 * Re-enqueues a broadcast as one message per shard, so the shards run in
 * parallel invocations. On a FIFO queue each shard gets its own group.
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
}

export { SqsShardQueue };
