import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { waitFor } from '@herald/domain/testing';

/** A message a queue received: its body and its string attributes. */
interface CollectedMessage {
  readonly body: string;
  readonly attributes: Record<string, string>;
}

/** Every message that reached a queue so far, read and deleted as it comes. */
const queueCollector = (sqs: SQSClient, queueUrl: string) => {
  const seen: CollectedMessage[] = [];
  const poll = async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const m of Messages) {
      seen.push({
        body: m.Body ?? '',
        attributes: Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
        ),
      });
    }
    if (Messages.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  };
  return {
    /** Polls until `probe` finds what it waits for in everything collected so far. */
    until: <T>(probe: (seen: readonly CollectedMessage[]) => T | undefined, what: string) =>
      waitFor(
        async () => {
          await poll();
          return probe(seen);
        },
        { timeoutMs: 15_000, intervalMs: 100, what },
      ),
  };
};

export type { CollectedMessage };
export { queueCollector };
