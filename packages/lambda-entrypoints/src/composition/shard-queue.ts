import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BroadcastShard } from '@herald/domain';

/** A broadcast shard as it travels through the notifications queue: the request as sent, and its shard. */
interface ShardMessage {
  readonly herald_shard: BroadcastShard;
  readonly request: unknown;
}

interface ShardQueue {
  enqueue(request: unknown, shards: readonly BroadcastShard[]): Promise<void>;
}

const isShardMessage = (value: unknown): value is ShardMessage =>
  typeof value === 'object' && value !== null && 'herald_shard' in value && 'request' in value;

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
            MessageBody: JSON.stringify({ herald_shard: shard, request } satisfies ShardMessage),
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

export type { ShardMessage, ShardQueue };
export { isShardMessage, SqsShardQueue };
