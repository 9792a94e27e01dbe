import {
  describeHistoryStoreContract,
  describeIdempotencyStoreContract,
} from '@herald/domain/testing';
import { DynamoDbHistoryStore, DynamoDbIdempotencyStore } from '../src/dynamodb/index.js';
import { createHistoryTable } from '../src/emulators/resources.js';
import { documentClient, dynamoClient } from './support/aws.js';

describeHistoryStoreContract('DynamoDbHistoryStore (DynamoDB Local)', async (clock, retention) => {
  const tableName = await createHistoryTable(dynamoClient());
  const open = () => new DynamoDbHistoryStore(documentClient(), clock, { tableName, retention });
  return { store: open(), peer: open };
});

describeIdempotencyStoreContract('DynamoDbIdempotencyStore (DynamoDB Local)', async () => {
  const tableName = await createHistoryTable(dynamoClient());
  const open = () => new DynamoDbIdempotencyStore(documentClient(), { tableName });
  return { store: open(), peer: open };
});
