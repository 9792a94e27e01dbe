import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyStore } from '@herald/domain';
import { type CapacityListener, capacityRequest, report } from './capacity.js';

interface DynamoDbIdempotencyStoreOptions {
  /** The history table (claims live beside the streams, under `request#<id>`). */
  readonly tableName: string;
  /** Measures consumed capacity per operation (ReturnConsumedCapacity); off by default. */
  readonly onCapacity?: CapacityListener;
}

const claimKey = (id: string) => ({ stream: `request#${id}`, offset: 0 });

/**
 * Request ids claimed in the history table: one conditional PutItem per claim
 * (1 WCU), which succeeds only where no claim exists or the one there has
 * expired (its TTL deletes it later). Racing claims from any node or Lambda:
 * DynamoDB lets exactly one through.
 */
class DynamoDbIdempotencyStore implements IdempotencyStore {
  private readonly tableName: string;
  private readonly onCapacity: CapacityListener | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbIdempotencyStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.onCapacity = options.onCapacity;
  }

  async claim(id: string, now: number, expiresAt: number): Promise<boolean> {
    try {
      const put = await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...claimKey(id), expiresAt, ttl: Math.ceil(expiresAt / 1000) },
          ConditionExpression: 'attribute_not_exists(#stream) OR expiresAt <= :now',
          ExpressionAttributeNames: { '#stream': 'stream' },
          ExpressionAttributeValues: { ':now': now },
          ...capacityRequest(this.onCapacity),
        }),
      );
      report(this.onCapacity, 'idempotency.claim', put.ConsumedCapacity);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(id: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: claimKey(id) }));
  }
}

export type { DynamoDbIdempotencyStoreOptions };
export { DynamoDbIdempotencyStore };
