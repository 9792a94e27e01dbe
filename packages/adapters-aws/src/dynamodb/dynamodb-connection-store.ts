import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  type TransactWriteCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type BroadcastShard,
  type ChannelAdded,
  type Clock,
  ConcurrencyConflictError,
  type ConnectionRecord,
  type ConnectionStore,
  ENVELOPE_PROTOCOL,
  LIMITS,
  type ListOptions,
  type Page,
  ValidationError,
} from '@herald/domain';
import { batchGetItems, untilProcessed } from './batch-calls.js';
import { type CapacityListener, capacityRequest, report } from './capacity.js';
import { CONNECTIONS_USER_INDEX } from './table-definitions.js';

interface DynamoDbConnectionStoreOptions {
  readonly tableName: string;
  /** A membership item outlives its subscription by at most this. @default LIMITS.maxConnectionAgeMs */
  readonly maxConnectionAgeMs?: number;
  /** Measures consumed capacity per operation (ReturnConsumedCapacity); off by default. */
  readonly onCapacity?: CapacityListener;
}

type Item = Record<string, unknown>;

const DEFAULT_PAGE = 500;
const BATCH_WRITE_LIMIT = 25;

const connectionKey = (connectionId: string) => ({ pk: `conn#${connectionId}`, sk: 'conn' });
const membershipKey = (channel: string, connectionId: string) => ({
  pk: `chan#${channel}`,
  sk: connectionId,
});
const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

const encodeCursor = (key: Item | undefined) =>
  key === undefined ? undefined : Buffer.from(JSON.stringify(key)).toString('base64url');
/** The key a listing's cursor was made from, its partition key `pk` when that is fixed. */
const decodeCursor = (cursor: string | undefined, pk?: string): Item | undefined => {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  // A continuation on the queue carries its cursor back; one not made here
  // (a forged or damaged message) is named, not handed to DynamoDB.
  const isKey =
    typeof key === 'object' &&
    key !== null &&
    !Array.isArray(key) &&
    typeof (key as Item).pk === 'string' &&
    (pk === undefined || (key as Item).pk === pk) &&
    Object.values(key).every((value) => typeof value === 'string' || typeof value === 'number');
  if (!isKey) throw new ValidationError('cursor', 'is not a cursor this listing returned');
  return key as Item;
};

const toItem = (record: ConnectionRecord): Item => ({
  ...connectionKey(record.connectionId),
  connectionId: record.connectionId,
  userId: record.userId,
  ...(record.channels.length > 0 ? { channels: new Set(record.channels) } : {}),
  allowedChannels: [...record.allowedChannels],
  connectedAt: record.connectedAt,
  lastSeenAt: record.lastSeenAt,
  expiresAt: record.expiresAt,
  ttl: epochSeconds(record.expiresAt),
  ...(record.owner === undefined ? {} : { ownerEndpoint: record.owner.endpoint }),
  ...(record.owner?.incarnation === undefined
    ? {}
    : { ownerIncarnation: record.owner.incarnation }),
  ...(record.protocol === undefined ? {} : { protocol: record.protocol }),
});

/** An item written before owners were recorded has none: it belongs to the default gateway. */
const ownerOf = (item: Item): Pick<ConnectionRecord, 'owner'> => {
  if (typeof item.ownerEndpoint !== 'string') return {};
  return typeof item.ownerIncarnation === 'string'
    ? { owner: { endpoint: item.ownerEndpoint, incarnation: item.ownerIncarnation } }
    : { owner: { endpoint: item.ownerEndpoint } };
};

const toRecord = (item: Item): ConnectionRecord => ({
  connectionId: item.connectionId as string,
  userId: item.userId as string,
  channels: item.channels instanceof Set ? [...(item.channels as Set<string>)].sort() : [],
  allowedChannels: (item.allowedChannels as string[] | undefined) ?? [],
  connectedAt: item.connectedAt as number,
  lastSeenAt: item.lastSeenAt as number,
  expiresAt: item.expiresAt as number,
  ...ownerOf(item),
  ...(item.protocol === ENVELOPE_PROTOCOL ? { protocol: ENVELOPE_PROTOCOL } : {}),
});

/**
 * Attempts of a write that DynamoDB refuses because a transaction holds its
 * item: a transaction cancelled for `TransactionConflict`, or a single write
 * refused with TransactionConflictException. A client's subscribes arrive at
 * once on API Gateway (one Lambda invocation each), all on its one connection
 * item, and its frames refresh that item's liveness meanwhile. The SDK
 * retries neither.
 */
const TRANSACTION_ATTEMPTS = 5;
/** Backoff before the next attempt: full jitter, doubling from 20 ms. */
const conflictBackoffMs = (attempt: number): number => Math.random() * 20 * 2 ** (attempt - 1);

const cancelledFor = (error: unknown, code: string): boolean =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((reason) => reason.Code === code);

const conditionFailed = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException || cancelledFor(error, 'ConditionalCheckFailed');

/**
 * ConnectionStore on one DynamoDB table (see table-definitions.ts). Reads
 * treat an item whose `expiresAt` has passed as absent, since TTL deletion
 * lags by up to days. Nothing on a hot path scans: a user's connections are a
 * Query of the sparse user index, a channel's a Query of its membership items;
 * only a broadcast scans, in segments.
 */
class DynamoDbConnectionStore implements ConnectionStore {
  private readonly table: string;
  private readonly maxConnectionAgeMs: number;
  private readonly onCapacity: CapacityListener | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly clock: Clock,
    options: DynamoDbConnectionStoreOptions,
  ) {
    this.table = options.tableName;
    this.maxConnectionAgeMs = options.maxConnectionAgeMs ?? LIMITS.maxConnectionAgeMs;
    this.onCapacity = options.onCapacity;
  }

  /**
   * A conditional Put: a live item of the same user is kept (a repeated
   * connect must not wipe the channels subscribed since, which would orphan
   * their membership items).
   */
  async put(record: ConnectionRecord): Promise<void> {
    if (record.channels.length === 0) {
      try {
        const result = await this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: toItem(record),
            ConditionExpression: 'attribute_not_exists(pk) OR userId <> :user OR expiresAt <= :now',
            ExpressionAttributeValues: { ':user': record.userId, ':now': this.clock.now() },
            ...capacityRequest(this.onCapacity),
          }),
        );
        return report(this.onCapacity, 'put', result.ConsumedCapacity);
      } catch (error) {
        if (conditionFailed(error)) return;
        throw error;
      }
    }
    const membershipTtl = epochSeconds(record.connectedAt + this.maxConnectionAgeMs);
    await this.batchWrite('put', [
      { PutRequest: { Item: toItem(record) } },
      ...record.channels.map((channel) => ({
        PutRequest: {
          Item: {
            ...membershipKey(channel, record.connectionId),
            memberId: record.connectionId,
            ttl: membershipTtl,
          },
        },
      })),
    ]);
  }

  async get(connectionId: string): Promise<ConnectionRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: connectionKey(connectionId),
        ConsistentRead: true,
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'get', result.ConsumedCapacity);
    return this.live(result.Item);
  }

  async delete(connectionId: string): Promise<ConnectionRecord | undefined> {
    const result = await this.client.send(
      new DeleteCommand({
        TableName: this.table,
        Key: connectionKey(connectionId),
        ReturnValues: 'ALL_OLD',
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'delete', result.ConsumedCapacity);
    if (result.Attributes === undefined) return undefined;
    const removed = toRecord(result.Attributes);
    if (removed.channels.length > 0) {
      await this.batchWrite(
        'delete (memberships)',
        removed.channels.map((channel) => ({
          DeleteRequest: { Key: membershipKey(channel, connectionId) },
        })),
      );
    }
    return removed.expiresAt > this.clock.now() ? removed : undefined;
  }

  async touch(connectionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean> {
    try {
      const send = () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: connectionKey(connectionId),
            UpdateExpression: 'SET lastSeenAt = :seen, expiresAt = :expires, #ttl = :ttl',
            ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':seen': lastSeenAt,
              ':expires': expiresAt,
              ':ttl': epochSeconds(expiresAt),
              ':now': this.clock.now(),
            },
            ...capacityRequest(this.onCapacity),
          }),
        );
      const result = await this.whileConflicting(
        'touch',
        send,
        (error) => error instanceof TransactionConflictException,
      );
      report(this.onCapacity, 'touch', result.ConsumedCapacity);
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * One transaction: the connection's channel set and the membership item
   * change together, and only while the set holds fewer than `maxChannels`
   * (or this channel already): racing adds cannot pass the bound. A refused
   * condition hands back the connection item as it stood, which tells a
   * connection at its bound from one that is gone.
   */
  async addChannel(
    connectionId: string,
    channel: string,
    maxChannels: number,
  ): Promise<ChannelAdded> {
    const now = this.clock.now();
    try {
      const result = await this.transactWrite('addChannel', {
        TransactItems: [
          {
            Update: {
              TableName: this.table,
              Key: connectionKey(connectionId),
              UpdateExpression: 'ADD channels :channels',
              ConditionExpression:
                'attribute_exists(pk) AND expiresAt > :now AND ' +
                '(attribute_not_exists(channels) OR contains(channels, :channel) OR size(channels) < :max)',
              ExpressionAttributeValues: {
                ':channels': new Set([channel]),
                ':channel': channel,
                ':now': now,
                ':max': maxChannels,
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Put: {
              TableName: this.table,
              Item: {
                ...membershipKey(channel, connectionId),
                memberId: connectionId,
                ttl: epochSeconds(now + this.maxConnectionAgeMs),
              },
            },
          },
        ],
        ...capacityRequest(this.onCapacity),
      });
      report(this.onCapacity, 'addChannel', result.ConsumedCapacity);
      return 'added';
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      // The item as it stood (raw attribute values: the document client does not convert errors).
      const stood = (error as TransactionCanceledException).CancellationReasons?.[0]?.Item;
      const expiresAt = Number(stood?.expiresAt?.N ?? Number.NaN);
      return expiresAt > now ? 'full' : 'absent';
    }
  }

  async removeChannel(connectionId: string, channel: string): Promise<boolean> {
    return this.transact('removeChannel', [
      {
        Update: {
          TableName: this.table,
          Key: connectionKey(connectionId),
          UpdateExpression: 'DELETE channels :channel',
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
          ExpressionAttributeValues: { ':channel': new Set([channel]), ':now': this.clock.now() },
        },
      },
      { Delete: { TableName: this.table, Key: membershipKey(channel, connectionId) } },
    ]);
  }

  async listByUser(userId: string): Promise<readonly ConnectionRecord[]> {
    const records: ConnectionRecord[] = [];
    let start: Item | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: CONNECTIONS_USER_INDEX,
          KeyConditionExpression: 'userId = :user',
          ExpressionAttributeValues: { ':user': userId },
          ExclusiveStartKey: start,
          ...capacityRequest(this.onCapacity),
        }),
      );
      report(this.onCapacity, 'listByUser', result.ConsumedCapacity);
      for (const item of result.Items ?? []) {
        const record = this.live(item);
        if (record !== undefined) records.push(record);
      }
      start = result.LastEvaluatedKey;
    } while (start !== undefined);
    return records;
  }

  /**
   * A page of membership items, then one BatchGet for their connections: the
   * connection item is the truth, so a membership left behind by a lost
   * disconnect or a replaced connection is never listed.
   */
  async listByChannel(channel: string, options: ListOptions = {}): Promise<Page<ConnectionRecord>> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `chan#${channel}` },
        Limit: options.limit ?? DEFAULT_PAGE,
        ExclusiveStartKey: decodeCursor(options.cursor, `chan#${channel}`),
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'listByChannel (memberships)', result.ConsumedCapacity);
    const ids = (result.Items ?? []).map((item) => item.memberId as string);
    const records = (await this.batchGet(ids)).filter((record) =>
      record.channels.includes(channel),
    );
    const cursor = encodeCursor(result.LastEvaluatedKey);
    return cursor === undefined ? { items: records } : { items: records, cursor };
  }

  /** One segment of a parallel Scan over the sparse user index: connection items only. */
  async scan(shard: BroadcastShard, options: ListOptions = {}): Promise<Page<ConnectionRecord>> {
    const result = await this.client.send(
      new ScanCommand({
        TableName: this.table,
        IndexName: CONNECTIONS_USER_INDEX,
        Segment: shard.segment,
        TotalSegments: shard.totalSegments,
        Limit: options.limit ?? DEFAULT_PAGE,
        ExclusiveStartKey: decodeCursor(options.cursor),
        ...capacityRequest(this.onCapacity),
      }),
    );
    report(this.onCapacity, 'scan', result.ConsumedCapacity);
    const items: ConnectionRecord[] = [];
    for (const item of result.Items ?? []) {
      const record = this.live(item);
      if (record !== undefined) items.push(record);
    }
    const cursor = encodeCursor(result.LastEvaluatedKey);
    return cursor === undefined ? { items } : { items, cursor };
  }

  private live(item: Item | undefined): ConnectionRecord | undefined {
    if (item === undefined) return undefined;
    const record = toRecord(item);
    return record.expiresAt > this.clock.now() ? record : undefined;
  }

  private async batchGet(connectionIds: readonly string[]): Promise<ConnectionRecord[]> {
    const items = await batchGetItems(
      this.client,
      this.clock,
      this.table,
      connectionIds.map(connectionKey),
      {
        listener: this.onCapacity,
        operation: 'listByChannel (connections)',
      },
    );
    return items.flatMap((item) => this.live(item) ?? []);
  }

  /**
   * BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed,
   * BATCH_ATTEMPTS calls per chunk at most; then `store_unavailable`.
   */
  private async batchWrite(operation: string, requests: readonly Item[]): Promise<void> {
    const where = { operation, table: this.table };
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      await untilProcessed(
        this.clock,
        where,
        requests.slice(i, i + BATCH_WRITE_LIMIT),
        async (pending) => {
          const result = await this.client.send(
            new BatchWriteCommand({
              RequestItems: { [this.table]: pending as never },
              ...capacityRequest(this.onCapacity),
            }),
          );
          report(this.onCapacity, operation, result.ConsumedCapacity);
          return result.UnprocessedItems?.[this.table] as Item[] | undefined;
        },
      );
    }
  }

  private async transact(operation: string, items: readonly Item[]): Promise<boolean> {
    try {
      const result = await this.transactWrite(operation, {
        TransactItems: items as never,
        ...capacityRequest(this.onCapacity),
      });
      report(this.onCapacity, operation, result.ConsumedCapacity);
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * One TransactWriteItems, tried again while DynamoDB cancels it only for
   * another transaction on the same items. A failed condition is thrown at
   * once, for the caller.
   */
  private transactWrite(
    operation: string,
    input: TransactWriteCommandInput,
  ): Promise<TransactWriteCommandOutput> {
    return this.whileConflicting(
      operation,
      () => this.client.send(new TransactWriteCommand(input)),
      (error) =>
        cancelledFor(error, 'TransactionConflict') &&
        !cancelledFor(error, 'ConditionalCheckFailed'),
    );
  }

  /**
   * `write`, tried again (with jittered backoff) while it fails only because
   * a transaction held its items (`conflicted`); after TRANSACTION_ATTEMPTS
   * such failures, ConcurrencyConflictError (temporary). Any other error is
   * thrown at once.
   */
  private async whileConflicting<T>(
    operation: string,
    write: () => Promise<T>,
    conflicted: (error: unknown) => boolean,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!conflicted(error)) throw error;
        if (attempt >= TRANSACTION_ATTEMPTS)
          throw new ConcurrencyConflictError(
            `${operation} on table ${this.table}: another transaction held its items ${attempt} times in a row`,
            { cause: error },
          );
        await this.clock.sleep(conflictBackoffMs(attempt));
      }
    }
  }
}

export type { DynamoDbConnectionStoreOptions };
export { DynamoDbConnectionStore };
