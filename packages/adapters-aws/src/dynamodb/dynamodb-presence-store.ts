import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  applyPresenceUpdate,
  type Clock,
  type PresenceRecord,
  type PresenceSnapshot,
  type PresenceStore,
  type PresenceUpdate,
  snapshotOfRecord,
} from '@herald/domain';
import { batchGetItems } from './batch-calls.js';
import { type CapacityListener, capacityRequest, report } from './capacity.js';
import { EXPIRY_SHARDS, PRESENCE_EXPIRY_INDEX } from './table-definitions.js';

interface DynamoDbPresenceStoreOptions {
  readonly tableName: string;
  /** Measures consumed capacity per operation (ReturnConsumedCapacity); off by default. */
  readonly onCapacity?: CapacityListener;
}

type Item = Record<string, unknown>;

/** Which expiry-index partition a user's item lives in. */
const expiryShardOf = (userId: string): string => {
  let hash = 0;
  for (let i = 0; i < userId.length; i++) hash = (Math.imul(hash, 31) + userId.charCodeAt(i)) | 0;
  return `shard#${Math.abs(hash) % EXPIRY_SHARDS}`;
};

const toItem = (record: PresenceRecord): Item => ({
  ...record,
  pending: [...record.pending],
  ...(record.nextExpiryAt === undefined ? {} : { expiryShard: expiryShardOf(record.userId) }),
});

const toRecord = (item: Item): PresenceRecord => {
  const { expiryShard: _shard, ...record } = item;
  return record as unknown as PresenceRecord;
};

/**
 * PresenceStore on DynamoDB: one item per user, written with a conditional
 * Put on `version`, so exactly one of several racing writers commits a
 * transition. Users with connections that can expire are found through the
 * sparse `expiring` index, never by scanning.
 *
 * A transition costs one more conditional PutItem: the writer that committed
 * it drops it from the outbox once published.
 *
 * Each fact is one consistent GetItem and one conditional PutItem of the
 * whole item, so its cost (bytes, and read and write units, which DynamoDB
 * charges by item size even for an UpdateItem) grows with the user's
 * connections and tombstones, and an item is capped at 400 KB: on the order
 * of 10,000 connections and tombstones together (about 30 bytes each with
 * 20-character ids). An item per connection would lift both; that is a change
 * of the table, not made here.
 */
class DynamoDbPresenceStore implements PresenceStore {
  private readonly table: string;
  private readonly onCapacity: CapacityListener | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly clock: Clock,
    options: DynamoDbPresenceStoreOptions,
  ) {
    this.table = options.tableName;
    this.onCapacity = options.onCapacity;
  }

  /** A strongly consistent read: it starts a read-modify-write. */
  async get(userId: string): Promise<PresenceRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: { userId },
        ConsistentRead: true,
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'get', result.ConsumedCapacity);
    return result.Item === undefined ? undefined : toRecord(result.Item);
  }

  async getMany(userIds: readonly string[]): Promise<readonly PresenceRecord[]> {
    const keys = [...new Set(userIds)].map((userId) => ({ userId }));
    const items = await batchGetItems(this.client, this.clock, this.table, keys, {
      listener: this.onCapacity,
      operation: 'getMany',
    });
    return items.map(toRecord);
  }

  async compareAndSet(next: PresenceRecord, expectedVersion: number): Promise<boolean> {
    try {
      const result = await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: toItem(next),
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(userId)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
          ...capacityRequest(this.onCapacity),
        }),
      );
      report(this.onCapacity, 'compareAndSet', result.ConsumedCapacity);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** The records behind the snapshots this store gave, so a commit applies to what was read. */
  private readonly read = new WeakMap<PresenceSnapshot, PresenceRecord | undefined>();

  async snapshot(userId: string): Promise<PresenceSnapshot> {
    return this.snapshotOf(await this.get(userId), userId);
  }

  async commitUpdate(
    base: PresenceSnapshot,
    update: PresenceUpdate,
  ): Promise<PresenceSnapshot | undefined> {
    // A snapshot from elsewhere is read again; a later version fails the condition.
    const record = this.read.has(base) ? this.read.get(base) : await this.get(update.userId);
    const next = applyPresenceUpdate(record, update);
    if (!(await this.compareAndSet(next, base.version))) return undefined;
    return this.snapshotOf(next, update.userId);
  }

  private snapshotOf(record: PresenceRecord | undefined, userId: string): PresenceSnapshot {
    const snapshot = snapshotOfRecord(record, userId);
    this.read.set(snapshot, record);
    return snapshot;
  }

  /** One Query per expiry shard, each reading only users due by `at`. */
  async listExpiring(at: number, limit: number): Promise<readonly string[]> {
    const due: string[] = [];
    for (let shard = 0; shard < EXPIRY_SHARDS && due.length < limit; shard++) {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: PRESENCE_EXPIRY_INDEX,
          KeyConditionExpression: 'expiryShard = :shard AND nextExpiryAt <= :at',
          ExpressionAttributeValues: { ':shard': `shard#${shard}`, ':at': at },
          Limit: limit - due.length,
          ...capacityRequest(this.onCapacity),
        }),
      );
      report(this.onCapacity, 'listExpiring', result.ConsumedCapacity);
      for (const item of result.Items ?? []) due.push(item.userId as string);
    }
    return due;
  }
}

export type { DynamoDbPresenceStoreOptions };
export { DynamoDbPresenceStore, expiryShardOf };
