import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventPublisher, OutboundEvent } from '@herald/domain';
import { entriesOf, isFifo, sendInBatches, stringAttributes } from '../shared/batches.js';

interface SqsEventPublisherOptions {
  readonly queueUrl: string;
}

/**
 * Sends events to an SQS queue with SendMessageBatch, up to 10 per call, each
 * with its string message attributes. On a FIFO queue every message gets a
 * group id (its user) and a de-duplication id.
 */
class SqsEventPublisher implements EventPublisher {
  private readonly fifo: boolean;

  constructor(
    private readonly client: SQSClient,
    private readonly options: SqsEventPublisherOptions,
  ) {
    this.fifo = isFifo(options.queueUrl);
  }

  async publish(events: readonly OutboundEvent[]): Promise<void> {
    if (events.length === 0) return;
    await sendInBatches(`SQS queue ${this.options.queueUrl}`, entriesOf(events), async (batch) => {
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: batch.map((entry) => ({
            Id: entry.id,
            MessageBody: entry.message.body,
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

export type { SqsEventPublisherOptions };
export { SqsEventPublisher };
