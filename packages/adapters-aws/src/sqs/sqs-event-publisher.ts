import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventPublisher, OutboundEvent } from '@herald/domain';
import { isFifo, publishInBatches } from '../shared/batches.js';

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

  publish(events: readonly OutboundEvent[]): Promise<void> {
    const { queueUrl } = this.options;
    return publishInBatches(`SQS queue ${queueUrl}`, this.fifo, events, async (entries) => {
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map(({ body, ...entry }) => ({ ...entry, MessageBody: body })),
        }),
      );
      return result.Failed;
    });
  }
}

export type { SqsEventPublisherOptions };
export { SqsEventPublisher };
