import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Clock,
  DEFAULT_HISTORY_RETENTION,
  type HistoryEntry,
  type HistoryRead,
  type HistoryRetention,
  type HistoryStore,
  type NewHistoryEntry,
  retentionOf,
  type StreamPosition,
} from '@herald/domain';
import { type CapacityListener, capacityRequest, report } from './capacity.js';

interface DynamoDbHistoryStoreOptions {
  readonly tableName: string;
  /** @default DEFAULT_HISTORY_RETENTION */
  readonly retention?: HistoryRetention;
  /** Measures consumed capacity per operation (ReturnConsumedCapacity); off by default. */
  readonly onCapacity?: CapacityListener;
}

type Item = Record<string, unknown>;

const HEAD_OFFSET = 0;
const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

const toEntry = (item: Item): HistoryEntry => ({
  stream: item.stream as string,
  offset: item.offset as number,
  epoch: item.epoch as string,
  id: item.id as string,
  data: item.data as string,
  at: item.at as number,
  ...(Array.isArray(item.excludeUsers) ? { excludeUsers: item.excludeUsers as string[] } : {}),
});

/**
 * History in the history table (see `historyTableDefinition`). An append is
 * two writes: an atomic `ADD` on the stream's head item gives the offset (and
 * sets the epoch the first time), then the entry is put under it, with a TTL
 * at its kind's age. Writers racing on one stream each get their own offset.
 * Reads treat entries past the kind's count or age as absent (TTL lags).
 *
 * A writer that dies between its two writes leaves its offset empty; a
 * resume across that offset answers `recovered: false`, which is the truth.
 */
class DynamoDbHistoryStore implements HistoryStore {
  private readonly tableName: string;
  private readonly retention: HistoryRetention;
  private readonly onCapacity: CapacityListener | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly clock: Clock,
    options: DynamoDbHistoryStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.retention = options.retention ?? DEFAULT_HISTORY_RETENTION;
    this.onCapacity = options.onCapacity;
  }

  async append(stream: string, entry: NewHistoryEntry): Promise<StreamPosition> {
    const head = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { stream, offset: HEAD_OFFSET },
        UpdateExpression: 'SET epoch = if_not_exists(epoch, :epoch) ADD #last :one',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':epoch': randomUUID(), ':one': 1 },
        ReturnValues: 'ALL_NEW',
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'history.append.head', head.ConsumedCapacity);
    const offset = head.Attributes?.last as number;
    const epoch = head.Attributes?.epoch as string;
    const expiresAt = entry.at + retentionOf(this.retention, stream).maxAgeMs;
    const put = await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          stream,
          offset,
          epoch,
          id: entry.id,
          data: entry.data,
          at: entry.at,
          ...(entry.excludeUsers === undefined ? {} : { excludeUsers: [...entry.excludeUsers] }),
          expiresAt,
          ttl: epochSeconds(expiresAt),
        },
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'history.append.entry', put.ConsumedCapacity);
    return { epoch, offset };
  }

  async read(stream: string, afterOffset: number): Promise<HistoryRead> {
    const { maxEntries } = retentionOf(this.retention, stream);
    const [head, newest] = await Promise.all([
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { stream, offset: HEAD_OFFSET },
          ConsistentRead: true,
          ...capacityRequest(this.onCapacity),
        }),
      ),
      this.newestAfter(stream, afterOffset, maxEntries),
    ]);
    report(this.onCapacity, 'history.read.head', head.ConsumedCapacity);
    const stored = head.Item ?? (await this.createHead(stream));
    // An append between the two reads may have put an entry past the head read.
    const last = Math.max(stored.last as number, (newest[0]?.offset as number | undefined) ?? 0);
    const epoch = stored.epoch as string;
    const now = this.clock.now();
    const entries = newest
      .filter(
        (item) => (item.offset as number) > last - maxEntries && (item.expiresAt as number) > now,
      )
      .reverse()
      .map(toEntry);
    return { epoch, offset: last, entries };
  }

  /**
   * Gives a stream never written to its head, so that the epoch a client is
   * told before the first append is the one that append keeps.
   */
  private async createHead(stream: string): Promise<Item> {
    const head = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { stream, offset: HEAD_OFFSET },
        UpdateExpression:
          'SET epoch = if_not_exists(epoch, :epoch), #last = if_not_exists(#last, :zero)',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':epoch': randomUUID(), ':zero': 0 },
        ReturnValues: 'ALL_NEW',
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'history.read.head-created', head.ConsumedCapacity);
    return head.Attributes as Item;
  }

  /** Up to `limit` entries after `afterOffset`, newest first, through as many pages as it takes. */
  private async newestAfter(stream: string, afterOffset: number, limit: number): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#stream = :stream AND #offset > :after',
          ExpressionAttributeNames: { '#stream': 'stream', '#offset': 'offset' },
          ExpressionAttributeValues: { ':stream': stream, ':after': Math.max(afterOffset, 0) },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: limit - items.length,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          ...capacityRequest(this.onCapacity),
        }),
      );
      report(this.onCapacity, 'history.read.entries', page.ConsumedCapacity);
      items.push(...((page.Items ?? []) as Item[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < limit);
    return items;
  }
}

export type { DynamoDbHistoryStoreOptions };
export { DynamoDbHistoryStore };
