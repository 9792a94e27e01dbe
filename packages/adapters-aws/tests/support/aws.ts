// Clients for the emulators the global setup started, and readers for what
// the adapters publish. The resources themselves come from the package's
// testing entry, which the server's tests share.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WireMessage } from '@herald/domain';
import { waitFor } from '@herald/domain/testing';
import { inject } from 'vitest';
import {
  createQueue,
  createTables as createTestTables,
  createTopicWithQueue,
} from '../../src/emulators/resources.js';

/** Emulators accept any credentials; these are never real. */
const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
};

const dynamoClient = (endpoint = inject('dynamoEndpoint')) =>
  new DynamoDBClient({ ...LOCAL, endpoint });

const documentClient = (client = dynamoClient()) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** A fresh connections table (with its stream and TTL) and presence table. */
const createTables = (client = dynamoClient()) => createTestTables(client);

// The SQS client would otherwise send to the host in each queue URL.
const sqsClient = (endpoint = inject('fauxqsEndpoint')) =>
  new SQSClient({ ...LOCAL, endpoint, useQueueUrlAsEndpoint: false });
const snsClient = (endpoint = inject('fauxqsEndpoint')) => new SNSClient({ ...LOCAL, endpoint });

interface ReceivedMessage extends WireMessage {
  readonly messageGroupId?: string;
}

/** Reads (and deletes) messages until `count` have arrived. */
const receive = (sqs: SQSClient, queueUrl: string) => {
  const received: ReceivedMessage[] = [];
  return (count: number) =>
    waitFor(
      async () => {
        const result = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['MessageGroupId'],
          }),
        );
        const messages = result.Messages ?? [];
        for (const m of messages) {
          const groupId = m.Attributes?.MessageGroupId;
          received.push({
            body: m.Body ?? '',
            attributes: Object.fromEntries(
              Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
            ),
            groupId: groupId ?? '',
            ...(groupId === undefined ? {} : { messageGroupId: groupId }),
          });
        }
        if (messages.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
          );
        }
        return received.length >= count ? received.slice(0, count) : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: `${count} message(s) on ${queueUrl}` },
    );
};

export type { ReceivedMessage };
export {
  createQueue,
  createTables,
  createTopicWithQueue,
  documentClient,
  dynamoClient,
  LOCAL,
  receive,
  snsClient,
  sqsClient,
};
