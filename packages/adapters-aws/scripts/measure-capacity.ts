// Measures the read and write capacity units each store operation consumes,
// with ReturnConsumedCapacity, against DynamoDB Local:
//
//   pnpm --filter @herald/adapters-aws capacity
//
// Items are Herald's real ones (a connection with two channels, a presence
// record with two devices). DynamoDB bills writes per 1 KB and reads per 4 KB
// (eventually consistent reads at half), so these hold while items stay small.
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type CapacityListener,
  connectionsTableDefinition,
  DynamoDbConnectionStore,
  DynamoDbNodeStore,
  DynamoDbPresenceStore,
  presenceTableDefinition,
} from '@herald/adapters-aws/dynamodb';
import { startEmulators } from '@herald/adapters-aws/testing';
import { type ConnectionRecord, LIMITS } from '@herald/domain';

const emulators = await startEmulators();
try {
  const client = new DynamoDBClient({
    endpoint: emulators.dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const connectionsTable = `capacity-connections-${randomUUID().slice(0, 8)}`;
  const presenceTable = `capacity-presence-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateTableCommand(connectionsTableDefinition(connectionsTable)));
  await client.send(new CreateTableCommand(presenceTableDefinition(presenceTable)));

  interface Row {
    calls: number;
    table: number;
    indexes: number;
  }
  const rows = new Map<string, Row>();
  let current = '';
  const onCapacity: CapacityListener = (_operation, capacity) => {
    if (current === '') return;
    const row = rows.get(current) ?? { calls: 0, table: 0, indexes: 0 };
    for (const c of capacity) {
      const indexes = Object.values(c.GlobalSecondaryIndexes ?? {}).reduce(
        (sum, i) => sum + (i.CapacityUnits ?? 0),
        0,
      );
      row.table += c.Table?.CapacityUnits ?? (c.CapacityUnits ?? 0) - indexes;
      row.indexes += indexes;
    }
    row.calls++;
    rows.set(current, row);
  };
  const clock = {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  };
  const connections = new DynamoDbConnectionStore(documents, clock, {
    tableName: connectionsTable,
    onCapacity,
  });
  const presence = new DynamoDbPresenceStore(documents, clock, {
    tableName: presenceTable,
    onCapacity,
  });
  const measure = async (operation: string, run: () => Promise<unknown>) => {
    current = operation;
    await run();
    current = '';
  };
  const now = Date.now();
  const record = (id: string, userId: string): ConnectionRecord => ({
    connectionId: id,
    userId,
    channels: [],
    allowedChannels: ['room-1', 'room-2'],
    connectedAt: now,
    lastSeenAt: now,
    expiresAt: now + LIMITS.idleTimeoutMs,
  });
  for (let i = 0; i < 50; i++) await connections.put(record(`fill-${i}`, `user-${i}`));
  rows.clear();

  await measure('connections: put (write)', () =>
    connections.put(record('AbCdEfGhIjKlMnO=', 'alice')),
  );
  await measure('connections: get, strongly consistent (read)', () =>
    connections.get('AbCdEfGhIjKlMnO='),
  );
  await measure('connections: touch (write)', () =>
    connections.touch('AbCdEfGhIjKlMnO=', Date.now(), Date.now() + LIMITS.idleTimeoutMs),
  );
  await measure('connections: addChannel, one transaction (write)', () =>
    connections.addChannel('AbCdEfGhIjKlMnO=', 'room-1', LIMITS.maxChannelsPerConnection),
  );
  await connections.addChannel('AbCdEfGhIjKlMnO=', 'room-2', LIMITS.maxChannelsPerConnection);
  await measure('connections: listByUser, 1 connection (read)', () =>
    connections.listByUser('alice'),
  );
  await measure('connections: listByChannel, 1 member: query + batch get (read)', () =>
    connections.listByChannel('room-1'),
  );
  await measure('connections: scan, 1 of 4 segments over 51 connections (read)', () =>
    connections.scan({ segment: 0, totalSegments: 4 }),
  );
  await measure('connections: removeChannel, one transaction (write)', () =>
    connections.removeChannel('AbCdEfGhIjKlMnO=', 'room-2'),
  );
  await measure('connections: delete, with 1 membership (write)', () =>
    connections.delete('AbCdEfGhIjKlMnO='),
  );

  const user = (version: number) => ({
    userId: 'alice',
    version,
    online: true,
    connections: { 'AbCdEfGhIjKlMnO=': now + 7_200_000, 'PqRsTuVwXyZaBcD=': now + 7_200_000 },
    departed: {},
    lastSeenAt: now,
    nextExpiryAt: now + 7_200_000,
    pending: [],
  });
  await measure('presence: compareAndSet, create (write)', () =>
    presence.compareAndSet(user(1), 0),
  );
  await measure('presence: get, strongly consistent (read)', () => presence.get('alice'));
  await measure('presence: compareAndSet, update (write)', () =>
    presence.compareAndSet(user(2), 1),
  );
  await measure('presence: getMany, 1 user (read)', () => presence.getMany(['alice']));
  await measure('presence: listExpiring, 8 shard queries (read)', () =>
    presence.listExpiring(now + 8_000_000, 100),
  );

  const nodes = new DynamoDbNodeStore(documents, { tableName: connectionsTable, onCapacity });
  const node = (i: number, at: number) => ({
    endpoint: `http://10.0.3.${i}:8080`,
    incarnation: randomUUID(),
    startedAt: now,
    heartbeatAt: at,
    leaseExpiresAt: at + 15_000,
  });
  await nodes.beat(node(2, now));
  await nodes.beat(node(3, now));
  const first = node(1, now);
  await measure('nodes: beat, first (write)', () => nodes.beat(first));
  await measure('nodes: beat, renewed (write)', () =>
    nodes.beat({ ...first, heartbeatAt: now + 5000, leaseExpiresAt: now + 20_000 }),
  );
  await measure('nodes: list, 3 nodes, strongly consistent (read)', () => nodes.list());
  await measure('nodes: get, strongly consistent (read)', () => nodes.get(first.endpoint));
  await measure('nodes: retire, conditional delete (write)', async () => {
    const [listed] = await nodes.list();
    if (listed !== undefined) await nodes.retire(listed);
  });

  console.log('\nCapacity units per operation, DynamoDB Local (ReturnConsumedCapacity: INDEXES)');
  console.log(
    'Reads are RCU, writes WCU; a transaction costs twice its items; an index write is billed too.',
  );
  console.table(
    [...rows].map(([operation, r]) => ({
      operation,
      requests: r.calls,
      'table units': r.table,
      'index units': r.indexes,
      total: r.table + r.indexes,
    })),
  );
} finally {
  await emulators.stop();
}
