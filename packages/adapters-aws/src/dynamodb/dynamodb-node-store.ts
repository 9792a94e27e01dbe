import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { NodeRecord, NodeStore } from '@herald/domain';
import { type CapacityListener, capacityRequest, report } from './capacity.js';

interface DynamoDbNodeStoreOptions {
  /** The connections table: node records live beside the connections they own. */
  readonly tableName: string;
  /** Measures consumed capacity per operation (ReturnConsumedCapacity); off by default. */
  readonly onCapacity?: CapacityListener;
}

type Item = Record<string, unknown>;

/** Every node record sits in this one partition, so listing the nodes is one Query. */
const NODES_PARTITION = 'node';
/** A retired or lapsed record is left for TTL to remove this long after its lease. */
const RECORD_KEPT_MS = 24 * 3_600_000;

const nodeKey = (endpoint: string) => ({ pk: NODES_PARTITION, sk: endpoint });

const toItem = (record: NodeRecord): Item => ({
  ...nodeKey(record.endpoint),
  endpoint: record.endpoint,
  incarnation: record.incarnation,
  startedAt: record.startedAt,
  heartbeatAt: record.heartbeatAt,
  leaseExpiresAt: record.leaseExpiresAt,
  ttl: Math.ceil((record.leaseExpiresAt + RECORD_KEPT_MS) / 1000),
});

const toRecord = (item: Item): NodeRecord => ({
  endpoint: item.endpoint as string,
  incarnation: item.incarnation as string,
  startedAt: item.startedAt as number,
  heartbeatAt: item.heartbeatAt as number,
  leaseExpiresAt: item.leaseExpiresAt as number,
});

/**
 * NodeStore in the connections table: one item per advertised URL
 * (pk "node", sk the URL), with no userId, so it stays out of the user index
 * that broadcasts scan, and with an `sk` the connections stream ignores.
 * A beat is one PutItem (1 WCU: the item is well under 1 KB); listing the
 * nodes is one strongly consistent Query (1 RCU for up to 4 KB of records,
 * about 25 nodes); retiring is one conditional DeleteItem.
 */
class DynamoDbNodeStore implements NodeStore {
  private readonly table: string;
  private readonly onCapacity: CapacityListener | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbNodeStoreOptions,
  ) {
    this.table = options.tableName;
    this.onCapacity = options.onCapacity;
  }

  async beat(record: NodeRecord): Promise<NodeRecord | undefined> {
    const result = await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: toItem(record),
        ReturnValues: 'ALL_OLD',
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'node beat', result.ConsumedCapacity);
    return result.Attributes === undefined ? undefined : toRecord(result.Attributes);
  }

  async get(endpoint: string): Promise<NodeRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: nodeKey(endpoint),
        ConsistentRead: true,
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'node get', result.ConsumedCapacity);
    return result.Item === undefined ? undefined : toRecord(result.Item);
  }

  async list(): Promise<readonly NodeRecord[]> {
    const records: NodeRecord[] = [];
    let start: Item | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': NODES_PARTITION },
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ...capacityRequest(this.onCapacity),
        }),
      );
      report(this.onCapacity, 'node list', result.ConsumedCapacity);
      for (const item of result.Items ?? []) records.push(toRecord(item));
      start = result.LastEvaluatedKey;
    } while (start !== undefined);
    return records;
  }

  async retire(record: NodeRecord): Promise<boolean> {
    try {
      const result = await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: nodeKey(record.endpoint),
          ConditionExpression: 'incarnation = :incarnation AND leaseExpiresAt = :lease',
          ExpressionAttributeValues: {
            ':incarnation': record.incarnation,
            ':lease': record.leaseExpiresAt,
          },
          ...capacityRequest(this.onCapacity),
        }),
      );
      report(this.onCapacity, 'node retire', result.ConsumedCapacity);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

export type { DynamoDbNodeStoreOptions };
export { DynamoDbNodeStore };
