import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import {
  connectionsTableDefinition,
  presenceTableDefinition,
  TTL_ATTRIBUTE,
} from '../../src/dynamodb/index.js';

/** Emulators accept any credentials; these are never real. */
const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
};

const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

const dynamoClient = (endpoint = inject('dynamoEndpoint')) =>
  new DynamoDBClient({ ...LOCAL, endpoint });

const documentClient = (client = dynamoClient()) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** A fresh connections table (with its stream and TTL) and presence table. */
const createTables = async (client = dynamoClient()) => {
  const connections = uniqueName('herald-connections');
  const presence = uniqueName('herald-presence');
  const created = await client.send(
    new CreateTableCommand(connectionsTableDefinition(connections)),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: connections,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
  await client.send(new CreateTableCommand(presenceTableDefinition(presence)));
  return { connections, presence, streamArn: created.TableDescription?.LatestStreamArn as string };
};

export { createTables, documentClient, dynamoClient, LOCAL, uniqueName };

import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { WireMessage } from '@herald/domain';
import { waitFor } from '@herald/domain/testing';

// The SQS client would otherwise send to the host in each queue URL.
const sqsClient = (endpoint = inject('fauxqsEndpoint')) =>
  new SQSClient({ ...LOCAL, endpoint, useQueueUrlAsEndpoint: false });
const snsClient = (endpoint = inject('fauxqsEndpoint')) => new SNSClient({ ...LOCAL, endpoint });

const createQueue = async (sqs: SQSClient, fifo = false) => {
  const name = uniqueName('herald-q') + (fifo ? '.fifo' : '');
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: fifo ? { FifoQueue: 'true' } : {} }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
};

/** A topic with a queue subscribed in raw delivery, so attributes arrive as SQS message attributes. */
const createTopicWithQueue = async (sns: SNSClient, sqs: SQSClient, fifo = false) => {
  const { TopicArn } = await sns.send(
    new CreateTopicCommand({
      Name: uniqueName('herald-t') + (fifo ? '.fifo' : ''),
      Attributes: fifo ? { FifoTopic: 'true' } : {},
    }),
  );
  const queue = await createQueue(sqs, fifo);
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: queue.arn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  return { topicArn: TopicArn as string, queue };
};

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
export { createQueue, createTopicWithQueue, receive, snsClient, sqsClient };
