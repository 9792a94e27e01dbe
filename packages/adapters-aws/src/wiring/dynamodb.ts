// @herald/adapters-aws/wiring/dynamodb: the client the DynamoDB stores share.
export { dynamoDbDocumentClient } from './dynamodb-client.js';
