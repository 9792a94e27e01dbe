import {
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { ConcurrencyConflictError } from '@herald/domain';
import {
  connectionRecord,
  describeConnectionStoreContract,
  describeNodeStoreContract,
  describePresenceStoreContract,
  ManualClock,
} from '@herald/domain/testing';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbConnectionStore,
  DynamoDbNodeStore,
  DynamoDbPresenceStore,
} from '../src/dynamodb/index.js';
import { createTables, documentClient } from './support/aws.js';

describeConnectionStoreContract('DynamoDbConnectionStore (DynamoDB Local)', async (clock) => {
  const { connections } = await createTables();
  return new DynamoDbConnectionStore(documentClient(), clock, { tableName: connections });
});

describeNodeStoreContract('DynamoDbNodeStore (DynamoDB Local)', async () => {
  const { connections } = await createTables();
  return new DynamoDbNodeStore(documentClient(), { tableName: connections });
});

describePresenceStoreContract('DynamoDbPresenceStore (DynamoDB Local)', async () => {
  const { presence } = await createTables();
  return new DynamoDbPresenceStore(documentClient(), new ManualClock(), { tableName: presence });
});

describe('DynamoDbNodeStore beside the connections it owns', () => {
  it('keeps node records out of the connections a broadcast scans', async () => {
    // prepare: one connection and one node record in the same table
    const { connections } = await createTables();
    // Now: the items' TTL counts from it, and DynamoDB Local deletes expired items.
    const clock = new ManualClock(Date.now());
    const store = new DynamoDbConnectionStore(documentClient(), clock, { tableName: connections });
    const nodes = new DynamoDbNodeStore(documentClient(), { tableName: connections });
    await store.put(
      connectionRecord('c1', 'u1', clock.now(), {
        owner: { endpoint: 'http://10.0.0.1:8080', incarnation: 'a-1' },
      }),
    );
    await nodes.beat({
      endpoint: 'http://10.0.0.1:8080',
      incarnation: 'a-1',
      startedAt: clock.now(),
      heartbeatAt: clock.now(),
      leaseExpiresAt: clock.now() + 15_000,
    });

    // act
    const scanned = await store.scan({ segment: 0, totalSegments: 1 });

    // assess
    expect(scanned.items.map((r) => r.connectionId)).toEqual(['c1']);
    expect((await nodes.list()).map((n) => n.endpoint)).toEqual(['http://10.0.0.1:8080']);
  });
});

/**
 * A document client on DynamoDB Local whose first `refusals` calls of
 * `command` throw `refusal()`, as DynamoDB refuses a write whose item another
 * transaction holds (DynamoDB Local serialises them instead, so it never
 * does); `sent.calls` counts every call of that command.
 */
const refusingClient = (command: string, refusals: number, refusal: () => Error) => {
  const client = documentClient();
  const sent = { calls: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== command) return next(args);
      sent.calls += 1;
      if (sent.calls <= refusals) throw refusal();
      return next(args);
    },
    { step: 'initialize', name: 'injectTransactionConflicts' },
  );
  return { client, sent };
};

describe('DynamoDbConnectionStore when DynamoDB cancels a transaction for a conflict', () => {
  /** Its first `conflicts` transactions are cancelled for TransactionConflict. */
  const conflictingClient = (conflicts: number) => {
    const { client, sent } = refusingClient(
      'TransactWriteItemsCommand',
      conflicts,
      () =>
        new TransactionCanceledException({
          message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
          $metadata: { httpStatusCode: 400 },
          CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }],
        }),
    );
    return {
      client,
      sent: {
        get transactions() {
          return sent.calls;
        },
      },
    };
  };

  const setup = async (conflicts: number) => {
    const { connections } = await createTables();
    const clock = new ManualClock(Date.now(), { autoAdvance: true });
    const { client, sent } = conflictingClient(conflicts);
    const store = new DynamoDbConnectionStore(client, clock, { tableName: connections });
    await store.put(connectionRecord('c1', 'u1', clock.now(), { allowedChannels: ['*'] }));
    return { store, sent, clock };
  };

  it('tries the subscribe again with backoff, and it lands once', async () => {
    const { store, sent, clock } = await setup(3);

    const added = await store.addChannel('c1', 'room-1', 100);

    expect(added).toBe('added');
    expect(sent.transactions).toBe(4);
    expect(clock.sleeps).toHaveLength(3);
    expect((await store.get('c1'))?.channels).toEqual(['room-1']);
    expect((await store.listByChannel('room-1')).items.map((r) => r.connectionId)).toEqual(['c1']);
  });

  it('gives up after five conflicts with a temporary concurrency_conflict, having written nothing', async () => {
    const { store, sent } = await setup(5);

    const failed = await store.addChannel('c1', 'room-1', 100).catch((error) => error);
    const removed = await store.removeChannel('c1', 'room-1');

    expect(failed).toBeInstanceOf(ConcurrencyConflictError);
    expect(failed).toMatchObject({ code: 'concurrency_conflict', temporary: true });
    expect(sent.transactions).toBe(6);
    expect(removed).toBe(true);
    expect((await store.get('c1'))?.channels).toEqual([]);
  });
});

describe('DynamoDbConnectionStore refreshing liveness while a transaction holds the item', () => {
  /** Its first `conflicts` UpdateItem calls are refused as a held item's are. */
  const setup = async (conflicts: number) => {
    const { connections } = await createTables();
    const clock = new ManualClock(Date.now(), { autoAdvance: true });
    const { client, sent: counted } = refusingClient(
      'UpdateItemCommand',
      conflicts,
      () =>
        new TransactionConflictException({
          message: 'Transaction is ongoing for the item',
          $metadata: { httpStatusCode: 400 },
        }),
    );
    const sent = {
      get updates() {
        return counted.calls;
      },
    };
    const store = new DynamoDbConnectionStore(client, clock, { tableName: connections });
    await store.put(connectionRecord('c1', 'u1', clock.now()));
    return { store, sent, clock };
  };

  it('tries the touch again with backoff, and it lands', async () => {
    const { store, sent, clock } = await setup(3);
    const seen = clock.now() + 1000;

    const touched = await store.touch('c1', seen, seen + 60_000);

    expect(touched).toBe(true);
    expect(sent.updates).toBe(4);
    expect(clock.sleeps).toHaveLength(3);
    expect(await store.get('c1')).toMatchObject({ lastSeenAt: seen, expiresAt: seen + 60_000 });
  });

  it('gives up after five with a temporary concurrency_conflict', async () => {
    const { store, sent } = await setup(5);

    const failed = await store.touch('c1', Date.now(), Date.now() + 60_000).catch((e) => e);

    expect(failed).toMatchObject({ code: 'concurrency_conflict', temporary: true });
    expect(sent.updates).toBe(5);
  });
});

describe('DynamoDbConnectionStore given a cursor it did not return', () => {
  it('refuses it by name, for a channel and for a scan, and pages on with one it returned', async () => {
    const { connections } = await createTables();
    const clock = new ManualClock(Date.now());
    const store = new DynamoDbConnectionStore(documentClient(), clock, { tableName: connections });
    for (const id of ['c1', 'c2', 'c3']) {
      await store.put(connectionRecord(id, 'u1', clock.now(), { allowedChannels: ['*'] }));
      await store.addChannel(id, 'room-1', 100);
    }
    await store.addChannel('c1', 'room-2', 100);
    const first = await store.listByChannel('room-1', { limit: 2 });
    const otherChannel = (await store.listByChannel('room-2', { limit: 1 })).cursor;
    const notACursor = [
      'not-a-cursor',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('{"pk":{"S":"x"}}').toString('base64url'),
      otherChannel as string,
    ];

    for (const cursor of notACursor)
      await expect(store.listByChannel('room-1', { cursor }), cursor).rejects.toMatchObject({
        code: 'bad_request',
        field: 'cursor',
      });
    await expect(
      store.scan({ segment: 0, totalSegments: 1 }, { cursor: 'not-a-cursor' }),
    ).rejects.toMatchObject({ code: 'bad_request', field: 'cursor' });
    const rest = await store.listByChannel('room-1', { cursor: first.cursor as string });
    expect([...first.items, ...rest.items].map((r) => r.connectionId).sort()).toEqual([
      'c1',
      'c2',
      'c3',
    ]);
  });
});
