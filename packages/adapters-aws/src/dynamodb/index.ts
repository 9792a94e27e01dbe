export type { CapacityListener } from './capacity.js';
export type { ConnectionStreamRecord } from './connection-stream.js';
export { isTtlDeletion, presenceFactsOf } from './connection-stream.js';
export type { DynamoDbConnectionStoreOptions } from './dynamodb-connection-store.js';
export { DynamoDbConnectionStore } from './dynamodb-connection-store.js';
export type { DynamoDbNodeStoreOptions } from './dynamodb-node-store.js';
export { DynamoDbNodeStore } from './dynamodb-node-store.js';
export type { DynamoDbPresenceStoreOptions } from './dynamodb-presence-store.js';
export { DynamoDbPresenceStore, expiryShardOf } from './dynamodb-presence-store.js';
export {
  CONNECTIONS_USER_INDEX,
  connectionsTableDefinition,
  EXPIRY_SHARDS,
  PRESENCE_EXPIRY_INDEX,
  presenceTableDefinition,
  TTL_ATTRIBUTE,
} from './table-definitions.js';
