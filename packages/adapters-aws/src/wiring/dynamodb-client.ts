import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The document client Herald's DynamoDB stores are built on, the same in every
 * runtime. Region, credentials and endpoint come the standard way
 * (`AWS_REGION`, the provider chain, `AWS_ENDPOINT_URL_DYNAMODB` or
 * `AWS_ENDPOINT_URL`), so one deployment's settings work against AWS and
 * against DynamoDB Local; `config` overrides them. Undefined attributes are
 * left out of an item instead of being refused, because Herald's optional
 * fields are undefined when absent.
 */
const dynamoDbDocumentClient = (config: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });

export { dynamoDbDocumentClient };
