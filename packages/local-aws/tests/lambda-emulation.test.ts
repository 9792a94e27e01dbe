import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  queueCollector as collector,
  createQueue,
  createTables,
  createTopicWithQueue,
} from '@herald/adapters-aws/testing';
import {
  type Client,
  connect,
  refusal,
  TEST_SECRET as SECRET,
  signTestToken as token,
} from '@herald/server/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createLambdaEmulation } from '../src/lambda-emulation.js';
import { lambdaHandlers } from '../src/lambda-handlers.js';
import { emulatorEnvironment } from './support/emulator-environment.js';

describe('Local API Gateway emulation in front of the Lambda handlers (DynamoDB Local, fauxqs)', () => {
  const saved = { ...process.env };
  const failedBatches: string[] = [];
  let emulation: ReturnType<typeof createLambdaEmulation>;
  let wsUrl = '';
  let sqs: SQSClient;
  let notificationsQueue = '';
  let notificationsDeadLetters = '';
  let inputTopicArn = '';
  let snsClient: SNSClient;
  let outputs: ReturnType<typeof collector>;
  let presence: ReturnType<typeof collector>;
  const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn() };

  beforeAll(async () => {
    Object.assign(process.env, emulatorEnvironment());
    const dynamo = new DynamoDBClient({});
    sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    const sns = new SNSClient({});
    const tables = await createTables(dynamo);
    const queueOptions = { attributes: { VisibilityTimeout: '2' } };
    // As deployed, a DLQ behind the notifications queue (after two receives here).
    const notificationsDlq = await createQueue(sqs);
    notificationsDeadLetters = notificationsDlq.url;
    const notifications = await createQueue(sqs, {
      attributes: {
        ...queueOptions.attributes,
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: notificationsDlq.arn,
          maxReceiveCount: 2,
        }),
      },
    });
    const output = await createQueue(sqs, queueOptions);
    const outputTopic = await createTopicWithQueue(sns, sqs, queueOptions);
    const topicQueue = outputTopic.queue;
    // As deployed: the input topic's queue gets SNS envelopes, which the handler unwraps.
    const inputTopic = await createTopicWithQueue(sns, sqs, {
      ...queueOptions,
      rawDelivery: false,
    });
    const inputTopicQueue = inputTopic.queue;
    inputTopicArn = inputTopic.topicArn;
    snsClient = sns;
    notificationsQueue = notifications.url;
    outputs = collector(sqs, output.url);
    presence = collector(sqs, topicQueue.url);
    const env = {
      HERALD_JWT_SECRET: SECRET,
      HERALD_CONNECTIONS_TABLE: tables.connections,
      HERALD_PRESENCE_TABLE: tables.presence,
      HERALD_OUTPUT_TOPIC_ARN: outputTopic.topicArn,
      HERALD_OUTPUT_QUEUE_URL: output.url,
      HERALD_NOTIFICATIONS_QUEUE_URL: notifications.url,
      HERALD_BROADCAST_SHARDS: '3',
    };
    emulation = createLambdaEmulation({
      // No identity source required, as with the construct's
      // `authorizerIdentitySource: []`: every token carrier reaches the authorizer.
      identitySource: [],
      handlers: ({ managementEndpoint }) => lambdaHandlers(env, managementEndpoint),
      notificationsQueue: { client: sqs, queueUrl: notifications.url },
      notificationsTopic: { client: sqs, queueUrl: inputTopicQueue.url },
      connectionsStream: {
        client: new DynamoDBStreamsClient({ endpoint: inject('dynamoEndpoint') }),
        streamArn: tables.streamArn,
      },
      onBatch: (source, _size, failures) => {
        if (source === 'notifications') failedBatches.push(...failures);
      },
      log,
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

  // The run's first calls on fresh tables: DynamoDB Local, cold, on a loaded machine, may take
  // longer than one store attempt's deadline (HERALD_STORE_TIMEOUT_MS), and be retried.
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
  }, 15_000);

  it('closes a message over 32 KB with 1009 as API Gateway does, logs it at INFO, and keeps serving', async () => {
    const client = await device('oversized-user');

    // Without an 'error' listener on the socket, ws's error for it ended the whole process.
    client.send({ action: 'send', message: 'x'.repeat(33 * 1024) });
    const closed = await client.closed;
    const other = await device('after-oversized');
    other.send({ action: 'ping' });

    expect(closed.code).toBe(1009);
    expect(await other.json()).toMatchObject({ type: 'pong' });
    expect(log.info).toHaveBeenCalledWith(
      'connection closed: the client broke the WebSocket protocol',
      expect.objectContaining({ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' }),
    );
    expect(log.warn).not.toHaveBeenCalled();
    await other.close();
  }, 15_000);

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

  it('sets the malformed records of a batch aside with their reasons, which reach the DLQ, and delivers the rest', async () => {
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
    const dead = await collector(sqs, notificationsDeadLetters).until(
      (seen) => (seen.length >= 2 ? seen : undefined),
      'both dead letters in the DLQ',
    );

    expect(received.sort()).toEqual(['{"n":1}', '{"n":3}']);
    expect(dead.map((m) => JSON.parse(m.body)).sort((a, b) => (a.body < b.body ? -1 : 1))).toEqual([
      {
        herald_dead_letter: { code: 'bad_request', field: '$', message: expect.any(String) },
        body: 'not json',
      },
      {
        herald_dead_letter: { code: 'bad_request', field: 'users', message: expect.any(String) },
        body: '{"users":"batch-user","data":2}',
      },
    ]);
    // The refused messages themselves were acknowledged; only their dead letters failed.
    expect(failedBatches.filter((id) => bad.includes(id))).toEqual([]);
    expect(new Set(failedBatches).size).toBe(2);
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
