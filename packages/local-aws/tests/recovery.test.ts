import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createHistoryTable, createQueue, createTables } from '@herald/adapters-aws/testing';
import { waitFor } from '@herald/domain/testing';
import {
  type Client,
  connect,
  nextEnvelopes,
  positionsOf,
  resume,
  TEST_SECRET as SECRET,
  signTestToken as token,
} from '@herald/server/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLambdaEmulation } from '../src/lambda-emulation.js';
import { lambdaHandlers } from '../src/lambda-handlers.js';
import { emulatorEnvironment } from './support/emulator-environment.js';

const USER_ENTRIES = 3;

describe('Recovery behind the local API Gateway, on the Lambda handlers (DynamoDB Local, fauxqs)', () => {
  const saved = { ...process.env };
  const clients: Client[] = [];
  let emulation: ReturnType<typeof createLambdaEmulation>;
  let wsUrl = '';
  let sqs: SQSClient;
  let queueUrl = '';
  let processed = 0;

  beforeAll(async () => {
    Object.assign(process.env, emulatorEnvironment());
    const dynamo = new DynamoDBClient({});
    sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    const tables = await createTables(dynamo);
    const history = await createHistoryTable(dynamo);
    const notifications = await createQueue(sqs, { attributes: { VisibilityTimeout: '2' } });
    queueUrl = notifications.url;
    const env = {
      HERALD_JWT_SECRET: SECRET,
      HERALD_CONNECTIONS_TABLE: tables.connections,
      HERALD_PRESENCE_TABLE: tables.presence,
      HERALD_HISTORY_TABLE: history,
      HERALD_HISTORY_USER_ENTRIES: String(USER_ENTRIES),
      HERALD_NOTIFICATIONS_QUEUE_URL: notifications.url,
      HERALD_BROADCAST_SHARDS: '2',
    };
    emulation = createLambdaEmulation({
      // No identity source required (the construct's `authorizerIdentitySource: []`), so that
      // the herald.v1 offer with the token as its second protocol reaches the authorizer too.
      identitySource: [],
      handlers: ({ managementEndpoint }) => lambdaHandlers(env, managementEndpoint),
      notificationsQueue: { client: sqs, queueUrl: notifications.url },
      connectionsStream: {
        client: new DynamoDBStreamsClient({ endpoint: inject('dynamoEndpoint') }),
        streamArn: tables.streamArn,
      },
      onBatch: (source, size, failures) => {
        if (source === 'notifications') processed += size - failures.length;
      },
    });
    wsUrl = (await emulation.start()).wsUrl;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await emulation?.stop();
    process.env = { ...saved };
  });

  /** Sends requests to the notifications queue and resolves once the handler has taken them all. */
  const notify = async (...requests: unknown[]) => {
    const target = processed + requests.length;
    for (const request of requests) {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(request) }),
      );
    }
    await waitFor(() => (processed >= target ? true : undefined), {
      timeoutMs: 20_000,
      what: `${requests.length} request(s) handled`,
    });
  };

  const v1 = async (sub: string, channels: string[] = ['*'], via: 'query' | 'offer' = 'query') => {
    const jwt = await token({ sub, channels });
    const client =
      via === 'query'
        ? await connect(`${wsUrl}?authorization=${jwt}&protocol=herald.v1`)
        : await connect(wsUrl, { protocols: ['herald.v1', jwt] });
    clients.push(client);
    return client;
  };

  it('replays exactly the notifications missed on its user and channel streams, in order', {
    timeout: 40_000,
  }, async () => {
    const first = await v1('lambda-rec', ['room-l'], 'offer');
    first.send({ action: 'subscribe', channel: 'room-l' });
    expect(await first.json()).toEqual({ type: 'subscribed', channel: 'room-l' });
    await notify({ users: ['lambda-rec'], data: { n: 1 } });
    await notify({ channels: ['room-l'], data: { n: 2 } });
    const live = await nextEnvelopes(first, 2);
    const positions = positionsOf(live);
    await first.close();

    await notify(
      { users: ['lambda-rec'], data: { n: 3 } },
      { channels: ['room-l'], data: { n: 4 } },
    );
    await notify({ users: ['lambda-rec'], id: 'lambda-5', data: { n: 5 } });
    const { replayed, answer } = await resume(await v1('lambda-rec', ['room-l']), positions);

    expect(first.socket.protocol).toBe('herald.v1');
    expect(live).toMatchObject([
      { type: 'notification', stream: 'user:lambda-rec', offset: 1, data: { n: 1 } },
      { type: 'notification', stream: 'channel:room-l', offset: 1, data: { n: 2 } },
    ]);
    const users = replayed.filter((e) => e.stream === 'user:lambda-rec');
    expect(users.map((e) => e.data)).toEqual(
      // n3 and n4 came in one batch, so their order on different streams is the queue's.
      [{ n: 3 }, { n: 5 }],
    );
    expect(users.map((e) => e.offset)).toEqual([2, 3]);
    expect(users[1]?.id).toBe('lambda-5');
    expect(replayed.filter((e) => e.stream === 'channel:room-l')).toMatchObject([
      { offset: 2, data: { n: 4 } },
    ]);
    expect(replayed.map((e) => e.stream)).toEqual([
      'user:lambda-rec',
      'user:lambda-rec',
      'channel:room-l',
    ]);
    expect(answer).toEqual({
      type: 'resumed',
      streams: {
        'user:lambda-rec': { recovered: true, epoch: live[0]?.epoch, offset: 3 },
        'channel:room-l': { recovered: true, epoch: live[1]?.epoch, offset: 2 },
      },
    });
  });

  it('answers recovered:false past retention, and delivers a queued request sent twice once', {
    timeout: 40_000,
  }, async () => {
    const client = await v1('lambda-ret');
    const bare = await connect(`${wsUrl}?authorization=${await token({ sub: 'lambda-ret' })}`);
    clients.push(bare);

    await notify({ users: ['lambda-ret'], id: 'queued-twice', data: { n: 1 } });
    await notify({ users: ['lambda-ret'], id: 'queued-twice', data: { n: 1 } });
    await notify({ users: ['lambda-ret'], data: { n: 2 } });
    const received = await nextEnvelopes(client, 2);
    await client.close();
    for (let n = 3; n <= 3 + USER_ENTRIES; n++)
      await notify({ users: ['lambda-ret'], data: { n } });
    const { replayed, answer } = await resume(
      await v1('lambda-ret'),
      positionsOf([received[0] as never]),
    );

    expect(received).toMatchObject([
      { offset: 1, id: 'queued-twice', data: { n: 1 } },
      { offset: 2, data: { n: 2 } },
    ]);
    expect(await bare.next(2)).toEqual(['{"n":1}', '{"n":2}']);
    expect(replayed.map((e) => e.offset)).toEqual([4, 5, 6]);
    expect(answer).toMatchObject({
      type: 'resumed',
      streams: { 'user:lambda-ret': { recovered: false, offset: 6 } },
    });
  });
});
