import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError } from '@herald/domain';
import { connectionRecord, ManualClock } from '@herald/domain/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { batchGetItems } from '../src/dynamodb/batch-calls.js';
import { DynamoDbConnectionStore } from '../src/dynamodb/index.js';
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

describe('batches DynamoDB leaves partly unprocessed (as it does when throttled)', () => {
  /** A document client that answers the first `unprocessed` batch calls by handing every item back. */
  const partialClient = (unprocessed: number) => {
    const calls: string[] = [];
    const client = {
      send: async (command: { input: Record<string, Record<string, unknown>> }) => {
        calls.push(command.constructor.name);
        const left = calls.length <= unprocessed;
        if ('RequestItems' in command.input && 't' in (command.input.RequestItems ?? {})) {
          const requested = (command.input.RequestItems as Record<string, unknown>).t;
          return command.constructor.name === 'BatchGetCommand'
            ? left
              ? { UnprocessedKeys: { t: requested } }
              : { Responses: { t: (requested as { Keys: unknown[] }).Keys } }
            : left
              ? { UnprocessedItems: { t: requested } }
              : {};
        }
        throw new Error(`unexpected ${command.constructor.name}`);
      },
    };
    return { client: client as unknown as DynamoDBDocumentClient, calls };
  };
  const withChannels = (clock: ManualClock) =>
    connectionRecord('c1', 'u1', clock.now(), { channels: ['room-1', 'room-2'] });

  it('sends the remainder again with backoff until DynamoDB takes it', async () => {
    const clock = new ManualClock(Date.now(), { autoAdvance: true });
    const { client, calls } = partialClient(3);
    const store = new DynamoDbConnectionStore(client, clock, { tableName: 't' });

    await store.put(withChannels(clock));
    const got = await batchGetItems(client, clock, 't', [{ pk: 'a' }], {
      listener: undefined,
      operation: 'get',
    });

    expect(calls).toEqual([
      'BatchWriteCommand',
      'BatchWriteCommand',
      'BatchWriteCommand',
      'BatchWriteCommand',
      'BatchGetCommand',
    ]);
    expect(clock.sleeps).toEqual([50, 100, 200]);
    expect(got).toEqual([{ pk: 'a' }]);
  });

  it('ends in store_unavailable after eight calls, instead of waiting without end', async () => {
    const clock = new ManualClock(Date.now(), { autoAdvance: true });
    const writes = partialClient(Number.POSITIVE_INFINITY);
    const reads = partialClient(Number.POSITIVE_INFINITY);
    const store = new DynamoDbConnectionStore(writes.client, clock, { tableName: 't' });

    const written = await store.put(withChannels(clock)).catch((error) => error);
    const read = await batchGetItems(reads.client, clock, 't', [{ pk: 'a' }], {
      listener: undefined,
      operation: 'getMany',
    }).catch((error) => error);

    for (const [failed, calls] of [
      [written, writes.calls],
      [read, reads.calls],
    ] as const) {
      expect(failed).toBeInstanceOf(StoreUnavailableError);
      expect(failed).toMatchObject({ code: 'store_unavailable', temporary: true, table: 't' });
      expect(calls).toHaveLength(8);
    }
    expect((written as Error).message).toContain('3 item(s) left unprocessed');
  });
});
