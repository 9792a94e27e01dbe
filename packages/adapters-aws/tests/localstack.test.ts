// The DynamoDB, SNS and SQS contract suites, run again against LocalStack in a
// container: opt-in with HERALD_TEST_LOCALSTACK=1, and only where a Docker
// engine answers. Otherwise the suites are skipped and the reason is printed.
import {
  describeConnectionStoreContract,
  describeEventPublisherContract,
  describePresenceStoreContract,
  ManualClock,
} from '@herald/domain/testing';
import { LocalstackContainer, type StartedLocalStackContainer } from '@testcontainers/localstack';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { DynamoDbConnectionStore, DynamoDbPresenceStore } from '../src/dynamodb/index.js';
import { SnsEventPublisher } from '../src/sns/index.js';
import { SqsEventPublisher } from '../src/sqs/index.js';
import {
  createQueue,
  createTables,
  createTopicWithQueue,
  documentClient,
  dynamoClient,
  receive,
  snsClient,
  sqsClient,
} from './support/aws.js';

const LOCALSTACK_IMAGE = 'localstack/localstack:4';

const whyNotLocalstack = async (): Promise<string | undefined> => {
  if (process.env.HERALD_TEST_LOCALSTACK !== '1') {
    return 'set HERALD_TEST_LOCALSTACK=1 to run the DynamoDB, SNS and SQS suites against LocalStack (needs a Docker engine)';
  }
  try {
    await getContainerRuntimeClient();
    return undefined;
  } catch (error) {
    return `HERALD_TEST_LOCALSTACK=1, but no Docker engine answered (${(error as Error).message.split('\n')[0]})`;
  }
};

const skipped = await whyNotLocalstack();

if (skipped !== undefined) {
  console.log(`LocalStack suites skipped: ${skipped}`);
  describe('LocalStack (opt-in)', () => {
    it.skip(`skipped: ${skipped}`, () => {});
  });
} else {
  let container: StartedLocalStackContainer | undefined;
  const endpoint = () => {
    if (container === undefined) throw new Error('LocalStack did not start');
    return container.getConnectionUri();
  };
  beforeAll(async () => {
    container = await new LocalstackContainer(LOCALSTACK_IMAGE)
      .withEnvironment({ SERVICES: 'dynamodb,sns,sqs' })
      .start();
  }, 180_000);
  afterAll(async () => {
    await container?.stop();
  });

  describeConnectionStoreContract('DynamoDbConnectionStore (LocalStack)', async (clock) => {
    const client = dynamoClient(endpoint());
    const { connections } = await createTables(client);
    return new DynamoDbConnectionStore(documentClient(client), clock, { tableName: connections });
  });
  describePresenceStoreContract('DynamoDbPresenceStore (LocalStack)', async () => {
    const client = dynamoClient(endpoint());
    const { presence } = await createTables(client);
    return new DynamoDbPresenceStore(documentClient(client), new ManualClock(), {
      tableName: presence,
    });
  });
  describeEventPublisherContract('SqsEventPublisher (LocalStack)', async () => {
    const sqs = sqsClient(endpoint());
    const queue = await createQueue(sqs);
    return {
      publisher: new SqsEventPublisher(sqs, { queueUrl: queue.url }),
      received: receive(sqs, queue.url),
    };
  });
  describeEventPublisherContract('SnsEventPublisher (LocalStack)', async () => {
    const sqs = sqsClient(endpoint());
    const { topicArn, queue } = await createTopicWithQueue(snsClient(endpoint()), sqs);
    return {
      publisher: new SnsEventPublisher(snsClient(endpoint()), { topicArn }),
      received: receive(sqs, queue.url),
    };
  });
}
