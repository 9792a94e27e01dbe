import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError } from '@herald/domain';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startPausableProxy, uniqueName } from '../src/testing/index.js';
import { dynamoDbDocumentClient, type StoreCallFailure } from '../src/wiring/dynamodb.js';

const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A client through a pausable proxy in front of DynamoDB Local, counting what its observer hears. */
const setup = async (timeoutMs: number, retries: number) => {
  const proxy = await startPausableProxy(inject('dynamoEndpoint'));
  closers.push(() => proxy.close());
  const seen = { started: 0, ended: 0, failures: [] as StoreCallFailure[] };
  const client = dynamoDbDocumentClient({
    timeoutMs,
    retries,
    observer: {
      started: () => {
        seen.started += 1;
      },
      ended: () => {
        seen.ended += 1;
      },
      unavailable: (failure) => seen.failures.push(failure),
    },
    config: { endpoint: proxy.endpoint, ...LOCAL },
  });
  const table = uniqueName('herald-bounds');
  // Made directly, without the tight deadline: a retried CreateTable would find its own table.
  await new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), ...LOCAL }).send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return { proxy, client, table, seen };
};

describe('the DynamoDB client wiring: every call bounded', () => {
  it('ends a call a frozen store never answers after retries + 1 attempts, as store_unavailable, and serves again once it answers', async () => {
    // prepare
    const { proxy, client, table, seen } = await setup(600, 2);
    await client.send(new PutCommand({ TableName: table, Item: { pk: 'a', n: 1 } }));

    // act
    proxy.pause();
    const error = await client
      .send(new GetCommand({ TableName: table, Key: { pk: 'a' } }))
      .catch((caught: unknown) => caught);
    const connectionsWhileFrozen = proxy.accepted;
    proxy.resume();
    const after = await client.send(new GetCommand({ TableName: table, Key: { pk: 'a' } }));

    // assess: each attempt was aborted and the next one opened a new connection
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'store_unavailable', operation: 'GetItem', table });
    expect(seen.failures).toEqual([
      {
        operation: 'GetItem',
        table,
        attempts: 3,
        elapsedMs: expect.any(Number),
        reason: 'TimeoutError',
      },
    ]);
    expect(seen.failures[0]?.elapsedMs).toBeGreaterThanOrEqual(3 * 600);
    expect(connectionsWhileFrozen).toBeGreaterThanOrEqual(3);
    expect(after.Item).toEqual({ pk: 'a', n: 1 });
    expect(seen.ended).toBe(seen.started);
  });

  it('throws an answer that is a refusal (a failed condition) as the SDK threw it, not as store_unavailable', async () => {
    const { client, table, seen } = await setup(2000, 2);
    await client.send(new PutCommand({ TableName: table, Item: { pk: 'b' } }));

    const error = await client
      .send(
        new PutCommand({
          TableName: table,
          Item: { pk: 'b' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((caught: unknown) => caught);

    expect((error as Error).name).toBe('ConditionalCheckFailedException');
    expect(seen.failures).toEqual([]);
  });
});
