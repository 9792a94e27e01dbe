// @herald/adapters-aws/wiring/dynamodb: the client the DynamoDB stores share.
export type {
  DynamoDbClientOptions,
  StoreCallFailure,
  StoreCallObserver,
} from './dynamodb-client.js';
export {
  DEFAULT_STORE_RETRIES,
  DEFAULT_STORE_TIMEOUT_MS,
  dynamoDbDocumentClient,
  retryAfterSeconds,
} from './dynamodb-client.js';
