import type { BroadcastShard } from '../model/connection.js';
import { isBroadcast } from '../model/notification-request.js';
import type { InboundNotification } from '../parsing/inbound-notification.js';
import type { ShardQueue } from '../ports/shard-queue.js';
import type { DeliverOptions, DeliveryReport, NotificationFanout } from './notification-fanout.js';

/** What became of one inbound message. */
type IntakeOutcome =
  | { readonly kind: 'delivered'; readonly report: DeliveryReport }
  | {
      readonly kind: 'shard_delivered';
      readonly shard: BroadcastShard;
      readonly report: DeliveryReport;
    }
  | { readonly kind: 'split'; readonly shards: number };

/**
 * What a queue consumer does with one parsed notification message: a shard
 * message is delivered to its shard; a broadcast, when the fanout has more
 * than one shard, is split into shard messages on the shard queue (after its
 * payload is checked, so an oversized one fails here, not in every shard); any
 * other request is delivered.
 */
class NotificationIntake {
  constructor(
    private readonly fanout: NotificationFanout,
    private readonly shardQueue: ShardQueue,
  ) {}

  async accept(
    message: Exclude<InboundNotification, { kind: 'batch' }>,
    options: DeliverOptions = {},
  ): Promise<IntakeOutcome> {
    const { request } = message;
    if (message.kind === 'shard') {
      const report = await this.fanout.deliverShard(request, message.shard, options);
      return { kind: 'shard_delivered', shard: message.shard, report };
    }
    const shards = this.fanout.broadcastShards();
    if (isBroadcast(request) && shards.length > 1) {
      this.fanout.encode(request);
      await this.shardQueue.enqueue(message.input, shards);
      return { kind: 'split', shards: shards.length };
    }
    return { kind: 'delivered', report: await this.fanout.deliver(request, options) };
  }
}

export type { IntakeOutcome };
export { NotificationIntake };
