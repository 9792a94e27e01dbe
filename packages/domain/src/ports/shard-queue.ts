import type { BroadcastShard } from '../model/connection.js';

/**
 * Where a broadcast goes to be split: one message per shard, each delivered
 * on its own (on AWS, by parallel invocations of the notifications queue's
 * consumer). `request` is the request as the backend sent it, so a shard
 * message parses like any other.
 */
interface ShardQueue {
  enqueue(request: unknown, shards: readonly BroadcastShard[]): Promise<void>;
}

export type { ShardQueue };
