import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { EventPublisher, OutboundEvent } from '@herald/domain';
import { isFifo, publishInBatches } from '../shared/batches.js';

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

  publish(events: readonly OutboundEvent[]): Promise<void> {
    const { topicArn } = this.options;
    return publishInBatches(`SNS topic ${topicArn}`, this.fifo, events, async (entries) => {
      const result = await this.client.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: entries.map(({ body, ...entry }) => ({
            ...entry,
            Message: body,
          })),
        }),
      );
      return result.Failed;
    });
  }
}

export type { SnsEventPublisherOptions };
export { SnsEventPublisher };
