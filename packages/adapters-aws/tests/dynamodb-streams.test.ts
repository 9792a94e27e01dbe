import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { LIMITS, type OutboundEvent, PresenceTracker } from '@herald/domain';
import { connectionRecord, ManualClock, waitFor } from '@herald/domain/testing';
import { describe, expect, inject, it } from 'vitest';
import {
  type ConnectionStreamRecord,
  DynamoDbConnectionStore,
  DynamoDbPresenceStore,
  presenceFactsOf,
} from '../src/dynamodb/index.js';
import { createTables, documentClient, LOCAL } from './support/aws.js';

const HOUR = 3_600_000;

/** Every record DynamoDB Local's stream holds for the table so far. */
const readStream = async (streamArn: string, expected: number): Promise<_Record[]> => {
  const streams = new DynamoDBStreamsClient({ ...LOCAL, endpoint: inject('dynamoEndpoint') });
  return waitFor(
    async () => {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn }),
      );
      const records: _Record[] = [];
      for (const shard of StreamDescription?.Shards ?? []) {
        const { ShardIterator } = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        );
        let iterator = ShardIterator;
        for (let page = 0; iterator !== undefined && page < 20; page++) {
          const result = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
          records.push(...(result.Records ?? []));
          if ((result.Records ?? []).length === 0) break;
          iterator = result.NextShardIterator;
        }
      }
      return records.length >= expected ? records : undefined;
    },
    { timeoutMs: 10_000, what: `${expected} stream records` },
  );
};

const setup = async () => {
  const tables = await createTables();
  const clock = new ManualClock(Date.now());
  const client = documentClient();
  const connections = new DynamoDbConnectionStore(client, clock, { tableName: tables.connections });
  const events: OutboundEvent[] = [];
  const tracker = new PresenceTracker(
    new DynamoDbPresenceStore(client, clock, { tableName: tables.presence }),
    { publish: async (batch) => void events.push(...batch) },
    clock,
  );
  const record = (connectionId: string, userId: string) =>
    connectionRecord(connectionId, userId, clock.now());
  const apply = async (records: readonly ConnectionStreamRecord[], idleTimeoutMs?: number) => {
    const options = idleTimeoutMs === undefined ? {} : { idleTimeoutMs };
    for (const r of records) {
      for (const fact of presenceFactsOf(r, options)) await tracker.record(fact);
    }
  };
  const statuses = () =>
    events.flatMap((e) => (e.kind === 'presence' ? [`${e.userId}:${e.status}`] : []));
  return { tables, clock, connections, record, apply, statuses, events, tracker };
};

describe('DynamoDB Streams → PresenceTracker (DynamoDB Local)', () => {
  it('turns two devices into one ONLINE and one OFFLINE, and ignores channel and touch writes', async () => {
    const { tables, connections, record, apply, statuses, clock } = await setup();
    await connections.put(record('phone', 'alice'));
    await connections.put(record('laptop', 'alice'));
    await connections.addChannel('phone', 'room-1', LIMITS.maxChannelsPerConnection);
    await connections.touch('laptop', clock.now(), clock.now() + HOUR);
    await connections.delete('phone');
    await connections.delete('laptop');

    const records = await readStream(tables.streamArn, 7);
    await apply(records);

    expect(statuses()).toEqual(['alice:ONLINE', 'alice:OFFLINE']);
  });

  it('changes nothing when the stream delivers the same records again', async () => {
    const { tables, connections, record, apply, statuses } = await setup();
    await connections.put(record('c1', 'bob'));
    await connections.delete('c1');
    const records = await readStream(tables.streamArn, 2);

    await apply(records);
    await apply(records);
    await apply([...records].reverse());

    expect(statuses()).toEqual(['bob:ONLINE', 'bob:OFFLINE']);
  });

  it('ends presence at the expiry of a connection that TTL removed', async () => {
    const { tables, connections, record, apply, events, clock } = await setup();
    const expiring = { ...record('c1', 'carol'), expiresAt: clock.now() + 5_000 };
    await connections.put(expiring);
    await connections.delete('c1');
    const [insert, remove] = await readStream(tables.streamArn, 2);
    // What DynamoDB's TTL process writes on the REMOVE records it makes.
    const ttlRemove = {
      ...remove,
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    };

    await apply([insert as ConnectionStreamRecord, ttlRemove as ConnectionStreamRecord]);

    const offline = events.find((e) => e.kind === 'presence' && e.status === 'OFFLINE');
    expect(offline?.kind === 'presence' && offline.timestamp).toBe(expiring.expiresAt);
  });

  it("keeps presence alive through touches that extend the connection's expiry, and lets it lapse when they stop", async () => {
    // prepare: a connection with a 10 s idle timeout, touched four times, two of them in new half-idle windows
    const IDLE = 10_000;
    const { tables, connections, record, apply, statuses, clock, tracker } = await setup();
    const start = clock.now();
    await connections.put({ ...record('c1', 'dave'), expiresAt: start + IDLE });
    for (const at of [0.3, 0.6, 0.9, 1.2]) {
      clock.set(start + at * IDLE);
      await connections.touch('c1', clock.now(), clock.now() + IDLE);
    }
    const records = await readStream(tables.streamArn, 5);
    const refreshes = records
      .filter((r) => r.eventName === 'MODIFY')
      .flatMap((r) => presenceFactsOf(r as ConnectionStreamRecord, { idleTimeoutMs: IDLE }));

    // act: past the first expiry, then past the last touch's
    await apply(records as ConnectionStreamRecord[], IDLE);
    clock.set(start + 1.5 * IDLE);
    await tracker.sweep();
    const alive = (await tracker.query(['dave']))[0]?.online;
    clock.set(start + 2.2 * IDLE);
    await tracker.sweep();

    // assess
    expect(refreshes.map((f) => f.kind === 'connected' && f.expiresAt - start)).toEqual([
      1.6 * IDLE,
      2.2 * IDLE,
    ]);
    expect(alive).toBe(true);
    expect(statuses()).toEqual(['dave:ONLINE', 'dave:OFFLINE']);
  });
});
