// Tables, queues and topics on the emulators (or LocalStack), made with the
// same definitions a deployment uses. Uniquely named by default, so every
// test owns its resources and tests can run side by side on one emulator;
// the local stack gives them fixed names.
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  connectionsTableDefinition,
  historyTableDefinition,
  presenceTableDefinition,
  TTL_ATTRIBUTE,
} from '../dynamodb/index.js';

const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

interface TestTables {
  readonly connections: string;
  readonly presence: string;
  /** The connections table's stream, which feeds presence. */
  readonly streamArn: string;
}

/** A fresh connections table (with its stream and TTL) and presence table. @param names default: unique ones */
const createTables = async (
  client: DynamoDBClient,
  names: { readonly connections: string; readonly presence: string } = {
    connections: uniqueName('herald-connections'),
    presence: uniqueName('herald-presence'),
  },
): Promise<TestTables> => {
  const { connections, presence } = names;
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

/** A fresh history table (streams and idempotency claims), with its TTL. */
const createHistoryTable = async (client: DynamoDBClient): Promise<string> => {
  const history = uniqueName('herald-history');
  await client.send(new CreateTableCommand(historyTableDefinition(history)));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: history,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
  return history;
};

interface TestQueue {
  readonly url: string;
  readonly arn: string;
}

interface QueueOptions {
  /** Without `.fifo`, added for a FIFO queue. @default a unique one */
  readonly name?: string;
  readonly fifo?: boolean;
  /** SQS queue attributes, such as `VisibilityTimeout` or `RedrivePolicy`. */
  readonly attributes?: Readonly<Record<string, string>>;
}

const createQueue = async (sqs: SQSClient, options: QueueOptions = {}): Promise<TestQueue> => {
  const fifo = options.fifo === true;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: (options.name ?? uniqueName('herald-q')) + (fifo ? '.fifo' : ''),
      Attributes: { ...options.attributes, ...(fifo ? { FifoQueue: 'true' } : {}) },
    }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
};

interface TopicOptions extends QueueOptions {
  /**
   * Raw delivery (the default) hands the queue the message itself, with its
   * attributes as SQS message attributes; without it, each body is SNS's
   * JSON envelope, as a Lambda subscribed through SQS would see it.
   */
  readonly rawDelivery?: boolean;
  /** The topic's name, without `.fifo`. @default a unique one */
  readonly topicName?: string;
}

/** A topic with a fresh queue subscribed to it. */
const createTopicWithQueue = async (
  sns: SNSClient,
  sqs: SQSClient,
  options: TopicOptions = {},
): Promise<{ readonly topicArn: string; readonly queue: TestQueue }> => {
  const fifo = options.fifo === true;
  const { TopicArn } = await sns.send(
    new CreateTopicCommand({
      Name: (options.topicName ?? uniqueName('herald-t')) + (fifo ? '.fifo' : ''),
      Attributes: fifo ? { FifoTopic: 'true' } : {},
    }),
  );
  const queue = await createQueue(sqs, options);
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: queue.arn,
      Attributes: { RawMessageDelivery: String(options.rawDelivery ?? true) },
    }),
  );
  return { topicArn: TopicArn as string, queue };
};

export type { QueueOptions, TestQueue, TestTables, TopicOptions };
export { createHistoryTable, createQueue, createTables, createTopicWithQueue, uniqueName };
