import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  CreateTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { connectionsTableDefinition, presenceTableDefinition } from '@herald/adapters-aws/dynamodb';
import { waitFor } from '@herald/domain/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLambdaEmulation } from '../src/lambda-emulation.js';
import { lambdaHandlers } from '../src/lambda-mode.js';
import {
  type Client,
  queueCollector as collector,
  connect,
  refusal,
  SECRET,
  token,
} from './helpers.js';

const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('Local API Gateway emulation in front of the Lambda handlers (DynamoDB Local, fauxqs)', () => {
  const saved = { ...process.env };
  const failedBatches: string[] = [];
  let emulation: ReturnType<typeof createLambdaEmulation>;
  let wsUrl = '';
  let sqs: SQSClient;
  let notificationsQueue = '';
  let inputTopicArn = '';
  let snsClient: SNSClient;
  let outputs: ReturnType<typeof collector>;
  let presence: ReturnType<typeof collector>;

  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local-secret',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_SNS: inject('fauxqsEndpoint'),
      AWS_ENDPOINT_URL_SQS: inject('fauxqsEndpoint'),
    });
    const dynamo = new DynamoDBClient({});
    sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    const sns = new SNSClient({});
    const tables = { connections: name('conn'), presence: name('presence') };
    const created = await dynamo.send(
      new CreateTableCommand(connectionsTableDefinition(tables.connections)),
    );
    await dynamo.send(new CreateTableCommand(presenceTableDefinition(tables.presence)));
    const queue = async (prefix: string) => {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: name(prefix), Attributes: { VisibilityTimeout: '2' } }),
      );
      const arn = (
        await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))
      ).Attributes?.QueueArn;
      return { url: QueueUrl as string, arn: arn as string };
    };
    const [notifications, output, topicQueue] = [
      await queue('notifications'),
      await queue('out'),
      await queue('topic-sub'),
    ];
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name('out-topic') }));
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: topicQueue.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    const inputTopicQueue = await queue('in-topic-sub');
    const inputTopic = await sns.send(new CreateTopicCommand({ Name: name('in-topic') }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: inputTopic.TopicArn,
        Protocol: 'sqs',
        Endpoint: inputTopicQueue.arn,
      }),
    );
    inputTopicArn = inputTopic.TopicArn as string;
    snsClient = sns;
    notificationsQueue = notifications.url;
    outputs = collector(sqs, output.url);
    presence = collector(sqs, topicQueue.url);
    const env = {
      HERALD_JWT_SECRET: SECRET,
      HERALD_CONNECTIONS_TABLE: tables.connections,
      HERALD_PRESENCE_TABLE: tables.presence,
      HERALD_OUTPUT_TOPIC_ARN: TopicArn,
      HERALD_OUTPUT_QUEUE_URL: output.url,
      HERALD_NOTIFICATIONS_QUEUE_URL: notifications.url,
      HERALD_BROADCAST_SHARDS: '3',
    };
    emulation = createLambdaEmulation({
      handlers: ({ managementEndpoint }) => lambdaHandlers(env, managementEndpoint),
      notificationsQueue: { client: sqs, queueUrl: notifications.url },
      notificationsTopic: { client: sqs, queueUrl: inputTopicQueue.url },
      connectionsStream: {
        client: new DynamoDBStreamsClient({ endpoint: inject('dynamoEndpoint') }),
        streamArn: created.TableDescription?.LatestStreamArn as string,
      },
      onBatch: (source, _size, failures) => {
        if (source === 'notifications') failedBatches.push(...failures);
      },
    });
    wsUrl = (await emulation.start()).wsUrl;
  }, 60_000);

  afterAll(async () => {
    await emulation?.stop();
    process.env = { ...saved };
  });

  const device = async (
    sub: string,
    carrier: 'query' | 'header' | 'token' | 'protocol' = 'query',
  ) => {
    const jwt = await token({ sub, channels: ['*'] });
    switch (carrier) {
      case 'query':
        return connect(`${wsUrl}?authorization=${jwt}`);
      case 'token':
        return connect(`${wsUrl}?token=${jwt}`);
      case 'header':
        return connect(wsUrl, { headers: { authorization: `Bearer ${jwt}` } });
      case 'protocol':
        return connect(wsUrl, { protocols: ['herald', jwt] });
    }
  };

  it('connects with a token through each carrier, and refuses a missing or bad one', async () => {
    const clients: Client[] = [];
    for (const carrier of ['query', 'token', 'header', 'protocol'] as const)
      clients.push(await device(`carrier-${carrier}`, carrier));

    for (const client of clients) {
      client.send({ action: 'ping' });
      expect(await client.json()).toMatchObject({ type: 'pong' });
    }
    expect(clients[3]?.socket.protocol).toBe('herald');
    expect(await refusal(wsUrl)).toBe(401);
    expect(await refusal(`${wsUrl}?authorization=${await token({}, undefined, -10)}`)).toBe(403);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('delivers exactly the data of a Sumu request sent to the notifications queue', async () => {
    const client = await device('sumu-user');

    await sqs.send(
      new SendMessageCommand({
        QueueUrl: notificationsQueue,
        MessageBody: '{"users":["sumu-user"],"data":{"hello":"sumu"}}',
      }),
    );

    expect(await client.next(1)).toEqual(['{"hello":"sumu"}']);
    await client.close();
  });

  it('delivers a request published to the input topic', async () => {
    const client = await device('topic-user');

    await snsClient.send(
      new PublishCommand({
        TopicArn: inputTopicArn,
        Message: '{"userId":"topic-user","data":{"via":"sns"}}',
      }),
    );

    expect(await client.next(1)).toEqual(['{"via":"sns"}']);
    await client.close();
  });

  it('publishes one ONLINE for two devices and one OFFLINE when both have closed', async () => {
    const statuses = (seen: readonly { body: string }[]) =>
      seen
        .map((m) => JSON.parse(m.body))
        .filter((b) => b.message?.user_id === 'two-devices')
        .map((b) => b.message.status);
    const phone = await device('two-devices');
    const laptop = await device('two-devices');

    await presence.until((seen) => (statuses(seen).length >= 1 ? true : undefined), 'ONLINE');
    await phone.close();
    await laptop.close();
    const final = await presence.until(
      (seen) => (statuses(seen).length >= 2 ? statuses(seen) : undefined),
      'OFFLINE',
    );

    expect(final).toEqual(['ONLINE', 'OFFLINE']);
  });

  it('reports exactly the malformed records of a batch as failures, and delivers the rest', async () => {
    const client = await device('batch-user');

    const { Successful = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: notificationsQueue,
        Entries: [
          { Id: 'good-1', MessageBody: '{"userId":"batch-user","data":{"n":1}}' },
          { Id: 'bad-1', MessageBody: '{"users":"batch-user","data":2}' },
          { Id: 'bad-2', MessageBody: 'not json' },
          { Id: 'good-2', MessageBody: '{"userId":"batch-user","data":{"n":3}}' },
        ],
      }),
    );
    const bad = Successful.filter((s) => s.Id?.startsWith('bad')).map((s) => s.MessageId);

    const received = await client.next(2);
    await waitFor(() => (bad.every((id) => failedBatches.includes(id ?? '')) ? true : undefined), {
      timeoutMs: 10_000,
    });

    expect(received.sort()).toEqual(['{"n":1}', '{"n":3}']);
    expect(new Set(failedBatches)).toEqual(new Set(bad));
    await client.close();
  });

  it('forwards a client send to the output queue with its attributes', async () => {
    const client = await device('sender');

    client.send({ action: 'send', message: { to: 'backend' } });

    const sent = await outputs.until(
      (seen) => seen.find((m) => m.attributes.user_id === 'sender'),
      'the send',
    );
    expect(JSON.parse(sent.body)).toEqual({ to: 'backend' });
    expect(sent.attributes).toMatchObject({
      source: 'route.send',
      connection_id: expect.any(String),
      timestamp: expect.any(String),
    });
    await client.close();
  });

  it('delivers a broadcast split into shards to every connection exactly once', async () => {
    const clients: Client[] = [];
    for (let i = 0; i < 9; i++) clients.push(await device(`broadcast-${i}`));

    await sqs.send(
      new SendMessageCommand({
        QueueUrl: notificationsQueue,
        MessageBody: '{"data":{"everyone":true}}',
      }),
    );

    for (const client of clients) expect(await client.next(1)).toEqual(['{"everyone":true}']);
    await Promise.all(clients.map((c) => c.roundTrip()));
    expect(clients.map((c) => c.received.filter((m) => m.includes('everyone')).length)).toEqual(
      Array(9).fill(1),
    );
    await Promise.all(clients.map((c) => c.close()));
  });
});
