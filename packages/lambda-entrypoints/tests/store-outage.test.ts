// The notifications handler on DynamoDB Local, composed as on Lambda
// (bindDynamoDbStores), with the store frozen for one record's user only: a
// proxy stops forwarding every connection that names that user, and keeps it
// open. That record's store call runs out of its timeout and retries and the
// record becomes a batchItemFailure; the others are delivered.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbConnectionStore } from '@herald/adapters-aws/dynamodb';
import {
  createTables,
  type Emulators,
  type PausableProxy,
  startEmulators,
  startPausableProxy,
} from '@herald/adapters-aws/testing';
import { InMemoryConnectionGateway, InMemoryEventPublisher } from '@herald/adapters-memory';
import { StaticKeySource, SystemClock } from '@herald/adapters-node';
import { ConnectionRegistry } from '@herald/domain';
import type { SQSEvent } from 'aws-lambda';
import type { Container } from 'inversify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  bindDynamoDbStores,
  createContainer,
  loadConfig,
  makeNotificationsHandler,
  servicesOf,
  TOKENS,
} from '../src/index.js';
import { lambdaContext, SECRET } from './support.js';

// Generous for DynamoDB Local on a loaded machine: the records not frozen must be served in time.
const STORE_TIMEOUT_MS = 2500;
const STORE_RETRIES = 1;

const sqsEvent = (bodies: readonly string[]): SQSEvent =>
  ({
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      body,
      attributes: { ApproximateReceiveCount: '1' },
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:notifications',
    })),
  }) as unknown as SQSEvent;

describe('the notifications handler when the store stops answering for one record', () => {
  let emulators: Emulators;
  let proxy: PausableProxy;
  const saved = { ...process.env };
  beforeAll(async () => {
    emulators = await startEmulators();
    proxy = await startPausableProxy(emulators.dynamoEndpoint);
    // The standard SDK variables, as on Lambda, with DynamoDB behind the proxy.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local-secret',
      AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    });
  }, 60_000);
  afterAll(async () => {
    process.env = { ...saved };
    await proxy?.close();
    await emulators?.stop();
  });

  it('fails exactly that record (batchItemFailures) after the store call bound, and delivers the others', {
    timeout: 40_000,
  }, async () => {
    // prepare: the Lambda composition on DynamoDB, three users with a connection each
    const direct = new DynamoDBClient({
      endpoint: emulators.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    });
    const tables = await createTables(direct);
    const gateway = new InMemoryConnectionGateway();
    const config = loadConfig({
      HERALD_JWT_SECRET: SECRET,
      HERALD_MANAGEMENT_ENDPOINT: 'https://abc.execute-api.us-east-1.amazonaws.com/test',
      HERALD_CONNECTIONS_TABLE: tables.connections,
      HERALD_PRESENCE_TABLE: tables.presence,
      HERALD_STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
      HERALD_STORE_RETRIES: String(STORE_RETRIES),
    });
    const services = servicesOf(
      createContainer(config, (container: Container, settings) => {
        container.bind(TOKENS.Clock).toConstantValue(new SystemClock());
        bindDynamoDbStores(container, settings);
        container.bind(TOKENS.EventPublisher).toConstantValue(new InMemoryEventPublisher());
        container.bind(TOKENS.KeySource).toConstantValue(StaticKeySource.fromSecret(SECRET));
        container.bind(TOKENS.GatewayFor).toConstantValue(() => gateway);
        container.bind(TOKENS.ShardQueue).toConstantValue({
          enqueue: async () => undefined,
          carry: async () => undefined,
          deadLetter: async () => undefined,
        });
      }),
    );
    const users = ['live-one', 'frozen-user', 'live-two'];
    // Registered directly (no proxy, no deadline), so only the handler's calls are bounded.
    const clock = new SystemClock();
    const setupRegistry = new ConnectionRegistry(
      new DynamoDbConnectionStore(DynamoDBDocumentClient.from(direct), clock, {
        tableName: tables.connections,
      }),
      clock,
      { idleTimeoutMs: config.idleTimeoutMs, maxConnectionAgeMs: config.maxConnectionAgeMs },
    );
    for (const user of users) {
      gateway.open(`c-${user}`);
      await setupRegistry.connect(`c-${user}`, { userId: user, channels: [], claims: {} });
    }
    const warn = vi.spyOn(services.logger, 'warn');
    const handle = makeNotificationsHandler({
      fanout: services.fanout(),
      shardQueue: services.shardQueue(),
      logger: services.logger,
    });
    proxy.freezeWhen((chunk) => chunk.includes('frozen-user'));

    // act
    const startedAt = Date.now();
    const result = await handle(
      sqsEvent(users.map((user) => JSON.stringify({ users: [user], data: { to: user } }))),
      lambdaContext(),
    );
    const elapsedMs = Date.now() - startedAt;
    proxy.freezeWhen(undefined);

    // assess: the frozen user's record failed alone, within the store call bound
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(gateway.received('c-live-one')).toEqual(['{"to":"live-one"}']);
    expect(gateway.received('c-live-two')).toEqual(['{"to":"live-two"}']);
    expect(gateway.received('c-frozen-user')).toEqual([]);
    expect(elapsedMs).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS * (STORE_RETRIES + 1));
    expect(elapsedMs).toBeLessThan(STORE_TIMEOUT_MS * (STORE_RETRIES + 1) + 5000);
    expect(warn).toHaveBeenCalledWith(
      'store call failed: no answer within its timeout and retries',
      expect.objectContaining({
        operation: 'Query',
        table: tables.connections,
        attempts: STORE_RETRIES + 1,
        reason: 'TimeoutError',
      }),
    );
  });
});
