export type { CapacityListener } from './capacity.js';
export type { ConnectionStreamRecord } from './connection-stream.js';
export { isTtlDeletion, presenceFactsOf } from './connection-stream.js';
export type { DynamoDbConnectionStoreOptions } from './dynamodb-connection-store.js';
export { DynamoDbConnectionStore } from './dynamodb-connection-store.js';
export type { DynamoDbHistoryStoreOptions } from './dynamodb-history-store.js';
export { DynamoDbHistoryStore } from './dynamodb-history-store.js';
export type { DynamoDbIdempotencyStoreOptions } from './dynamodb-idempotency-store.js';
export { DynamoDbIdempotencyStore } from './dynamodb-idempotency-store.js';
export type { DynamoDbNodeStoreOptions } from './dynamodb-node-store.js';
export { DynamoDbNodeStore } from './dynamodb-node-store.js';
export type { DynamoDbPresenceStoreOptions } from './dynamodb-presence-store.js';
export { DynamoDbPresenceStore, expiryShardOf } from './dynamodb-presence-store.js';
export {
  CONNECTIONS_USER_INDEX,
  connectionsTableDefinition,
  EXPIRY_SHARDS,
  historyTableDefinition,
  PRESENCE_EXPIRY_INDEX,
  presenceTableDefinition,
  TTL_ATTRIBUTE,
} from './table-definitions.js';
