import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { EventPublisher, OutboundEvent } from '@herald/domain';
import { entriesOf, isFifo, sendInBatches, stringAttributes } from '../shared/batches.js';

interface SnsEventPublisherOptions {
  readonly topicArn: string;
}

/**
 * Publishes events to an SNS topic with PublishBatch, up to 10 per call, each
 * with its string message attributes (`user_id`, `connection_id`, `timestamp`,
 * `source`). On a FIFO topic every message gets a group id (its user, so one
 * user's events stay in order) and a de-duplication id.
 */
class SnsEventPublisher implements EventPublisher {
  private readonly fifo: boolean;

  constructor(
    private readonly client: SNSClient,
    private readonly options: SnsEventPublisherOptions,
  ) {
    this.fifo = isFifo(options.topicArn);
  }

  async publish(events: readonly OutboundEvent[]): Promise<void> {
    if (events.length === 0) return;
    await sendInBatches(`SNS topic ${this.options.topicArn}`, entriesOf(events), async (batch) => {
      const result = await this.client.send(
        new PublishBatchCommand({
          TopicArn: this.options.topicArn,
          PublishBatchRequestEntries: batch.map((entry) => ({
            Id: entry.id,
            Message: entry.message.body,
            MessageAttributes: stringAttributes(entry.message.attributes),
            ...(this.fifo
              ? {
                  MessageGroupId: entry.message.groupId,
                  MessageDeduplicationId: entry.deduplicationId,
                }
              : {}),
          })),
        }),
      );
      return (result.Failed ?? []).map((f) => ({
        id: f.Id ?? '',
        reason: `${f.Code}: ${f.Message ?? ''}`,
      }));
    });
  }
}

export type { SnsEventPublisherOptions };
export { SnsEventPublisher };
