import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

interface TableOptions {
  readonly removalPolicy: RemovalPolicy;
  readonly pointInTimeRecovery: boolean;
  readonly timeToLiveAttribute?: string;
}

/**
 * A DynamoDB table from the same definition the adapters and their tests use
 * (`@herald/adapters-aws/dynamodb`), so the deployed keys, indexes and stream
 * cannot drift from what the code reads. Names are left to CloudFormation.
 */
const tableFromDefinition = (
  scope: Construct,
  id: string,
  definition: CreateTableCommandInput,
  options: TableOptions,
): Table => {
  const attribute = (name: string | undefined) => {
    const type = definition.AttributeDefinitions?.find(
      (a) => a.AttributeName === name,
    )?.AttributeType;
    if (name === undefined || type === undefined)
      throw new Error(`table definition ${id} has no attribute ${name}`);
    return {
      name,
      type:
        type === 'N'
          ? AttributeType.NUMBER
          : type === 'B'
            ? AttributeType.BINARY
            : AttributeType.STRING,
    };
  };
  const keyOf = (schema: CreateTableCommandInput['KeySchema'], type: 'HASH' | 'RANGE') =>
    schema?.find((k) => k.KeyType === type)?.AttributeName;
  const sortKey = keyOf(definition.KeySchema, 'RANGE');
  const table = new Table(scope, id, {
    partitionKey: attribute(keyOf(definition.KeySchema, 'HASH')),
    ...(sortKey === undefined ? {} : { sortKey: attribute(sortKey) }),
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: options.pointInTimeRecovery },
    removalPolicy: options.removalPolicy,
    ...(options.timeToLiveAttribute === undefined
      ? {}
      : { timeToLiveAttribute: options.timeToLiveAttribute }),
    ...(definition.StreamSpecification?.StreamEnabled
      ? { stream: StreamViewType.NEW_AND_OLD_IMAGES }
      : {}),
  });
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    const indexSortKey = keyOf(index.KeySchema, 'RANGE');
    table.addGlobalSecondaryIndex({
      indexName: index.IndexName as string,
      partitionKey: attribute(keyOf(index.KeySchema, 'HASH')),
      ...(indexSortKey === undefined ? {} : { sortKey: attribute(indexSortKey) }),
      projectionType:
        index.Projection?.ProjectionType === 'KEYS_ONLY'
          ? ProjectionType.KEYS_ONLY
          : ProjectionType.ALL,
    });
  }
  return table;
};

export type { TableOptions };
export { tableFromDefinition };
