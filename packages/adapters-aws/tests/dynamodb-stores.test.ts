import {
  describeConnectionStoreContract,
  describePresenceStoreContract,
  ManualClock,
} from '@herald/domain/testing';
import { DynamoDbConnectionStore, DynamoDbPresenceStore } from '../src/dynamodb/index.js';
import { createTables, documentClient } from './support/aws.js';

describeConnectionStoreContract('DynamoDbConnectionStore (DynamoDB Local)', async (clock) => {
  const { connections } = await createTables();
  return new DynamoDbConnectionStore(documentClient(), clock, { tableName: connections });
});

describePresenceStoreContract('DynamoDbPresenceStore (DynamoDB Local)', async () => {
  const { presence } = await createTables();
  return new DynamoDbPresenceStore(documentClient(), new ManualClock(), { tableName: presence });
});
