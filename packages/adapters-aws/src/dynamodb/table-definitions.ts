import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * Herald's tables, as DynamoDB sees them. The CDK construct and the tests
 * create tables from these same definitions. Both use on-demand billing; the
 * connections table's stream feeds the presence handler.
 *
 * connections table: key (pk, sk), TTL attribute `ttl` (Number, epoch seconds)
 *   connection  pk = "conn#<connectionId>"  sk = "conn"
 *               connectionId, userId, channels (String Set), allowedChannels,
 *               connectedAt, lastSeenAt, expiresAt (Number, epoch ms), ttl
 *   membership  pk = "chan#<channel>"       sk = "<connectionId>"
 *               memberId, ttl   (no userId: it stays out of the user index)
 *   GSI byUser  userId / connectionId, projection ALL: sparse, connections only.
 *               A user's connections are one Query; a broadcast is a
 *               segmented parallel Scan of this index, so it never reads
 *               membership items.
 *
 * presence table: key userId, one item per user (the PresenceRecord)
 *   GSI expiring  expiryShard / nextExpiryAt, projection KEYS_ONLY: sparse,
 *               only users with a connection that can expire, spread over
 *               EXPIRY_SHARDS partition keys so no one key is hot.
 */
const CONNECTIONS_USER_INDEX = 'byUser';
const PRESENCE_EXPIRY_INDEX = 'expiring';
const TTL_ATTRIBUTE = 'ttl';
const EXPIRY_SHARDS = 8;

const connectionsTableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'userId', AttributeType: 'S' },
    { AttributeName: 'connectionId', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: CONNECTIONS_USER_INDEX,
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'connectionId', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
});

const presenceTableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'userId', AttributeType: 'S' },
    { AttributeName: 'expiryShard', AttributeType: 'S' },
    { AttributeName: 'nextExpiryAt', AttributeType: 'N' },
  ],
  KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    {
      IndexName: PRESENCE_EXPIRY_INDEX,
      KeySchema: [
        { AttributeName: 'expiryShard', KeyType: 'HASH' },
        { AttributeName: 'nextExpiryAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
  ],
});

/**
 * history table: key (stream, offset), TTL attribute `ttl` (Number, epoch seconds)
 *   head   stream = "<stream>"   offset = 0   last (Number), epoch: the
 *          stream's counter, moved by one atomic UpdateItem per append; no TTL.
 *   entry  stream = "<stream>"   offset = 1, 2, 3…   epoch, id, data (the
 *          encoded JSON), at, excludeUsers?, expiresAt (ms), ttl
 *   claim  stream = "request#<id>"   offset = 0   expiresAt, ttl: a request id
 *          claimed for idempotent publish (`request#` never begins a stream name).
 * A resume of one stream is one GetItem of its head and one Query of its
 * newest entries after the client's offset, both strongly consistent.
 */
const historyTableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'stream', AttributeType: 'S' },
    { AttributeName: 'offset', AttributeType: 'N' },
  ],
  KeySchema: [
    { AttributeName: 'stream', KeyType: 'HASH' },
    { AttributeName: 'offset', KeyType: 'RANGE' },
  ],
});

export {
  CONNECTIONS_USER_INDEX,
  connectionsTableDefinition,
  EXPIRY_SHARDS,
  historyTableDefinition,
  PRESENCE_EXPIRY_INDEX,
  presenceTableDefinition,
  TTL_ATTRIBUTE,
};
