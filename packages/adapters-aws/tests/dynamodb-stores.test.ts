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
    const clock = new ManualClock();
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
