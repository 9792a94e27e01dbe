// What a resume costs on the DynamoDB history store (issue: "Nothing missed").
//
//   pnpm --filter @herald/adapters-aws bench:resume [-- --missed 100 --bytes 200 --rounds 20]
//
// Starts DynamoDB Local, appends `missed` notifications of `bytes` of data to
// one user stream, then resumes that stream from before the first of them
// (NotificationHistory.replay, as the action handler does) `rounds` times,
// and once from the last offset (nothing missed: the baseline). It prints the
// requests and capacity units DynamoDB reports for one append and one resume,
// and the median time of a resume against the baseline's, as a ratio (time on
// DynamoDB Local says little about AWS; the ratio and the units do).

import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type CapacityListener,
  DynamoDbHistoryStore,
  DynamoDbIdempotencyStore,
} from '@herald/adapters-aws/dynamodb';
import { createHistoryTable, startEmulators } from '@herald/adapters-aws/testing';
import { type Clock, NotificationHistory, type StreamPosition } from '@herald/domain';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
  options: {
    missed: { type: 'string', default: '100' },
    bytes: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '20' },
  },
});
const MISSED = Number(values.missed);
const ROUNDS = Number(values.rounds);
const data = JSON.stringify({ message: 'x'.repeat(Math.max(0, Number(values.bytes) - 14)) });

const emulators = await startEmulators();
try {
  const client = new DynamoDBClient({
    endpoint: emulators.dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
  });
  const tableName = await createHistoryTable(client);
  let units: { operation: string; capacity: number }[] = [];
  const onCapacity: CapacityListener = (operation, consumed) => {
    for (const c of consumed) units.push({ operation, capacity: c.CapacityUnits ?? 0 });
  };
  const clock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms).then(() => undefined) };
  const store = new DynamoDbHistoryStore(DynamoDBDocumentClient.from(client), clock, {
    tableName,
    retention: {
      user: { maxEntries: Math.max(100, MISSED), maxAgeMs: 3_600_000 },
      channel: { maxEntries: 100, maxAgeMs: 3_600_000 },
      broadcast: { maxEntries: 20, maxAgeMs: 3_600_000 },
    },
    onCapacity,
  });
  const documents = DynamoDBDocumentClient.from(client);
  const history = new NotificationHistory(
    store,
    new DynamoDbIdempotencyStore(documents, { tableName }),
    clock,
  );
  const stream = 'user:bench';
  const first = await store.append(stream, { id: 'first', data, at: clock.now() });
  for (let i = 1; i < MISSED; i++)
    await store.append(stream, { id: `n${i}`, data, at: clock.now() });
  const take = () => {
    const taken = units;
    units = [];
    return taken;
  };
  take();
  await store.append(stream, { id: 'probe', data, at: clock.now() });
  const append = take();
  const before: StreamPosition = { epoch: first.epoch, offset: first.offset };
  const last = await history.replay(stream, before, 'bench');
  const atEnd: StreamPosition = { epoch: first.epoch, offset: last.position.offset };

  const time = async (since: StreamPosition) => {
    const started = process.hrtime.bigint();
    const replay = await history.replay(stream, since, 'bench');
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, replay };
  };
  take();
  const missedRuns: number[] = [];
  const baseRuns: number[] = [];
  let replayed = 0;
  let resumeUnits: { operation: string; capacity: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so drift falls on both alike.
    const order = round % 2 === 0 ? [before, atEnd] : [atEnd, before];
    for (const since of order) {
      const { ms, replay } = await time(since);
      const spent = take();
      if (since === before) {
        missedRuns.push(ms);
        replayed = replay.entries.length;
        resumeUnits = spent;
      } else {
        baseRuns.push(ms);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const sum = (xs: { capacity: number }[]) => xs.reduce((n, x) => n + x.capacity, 0);
  const describe = (xs: { operation: string; capacity: number }[]) =>
    xs.map((x) => `${x.operation} ${x.capacity}`).join(', ');
  console.log(`entry data: ${data.length} bytes; missed: ${MISSED}; rounds: ${ROUNDS}`);
  console.log(`one append: ${append.length} requests, ${sum(append)} WCU (${describe(append)})`);
  console.log(
    `one resume of ${replayed} missed entries: ${resumeUnits.length} requests, ${sum(resumeUnits)} RCU (${describe(resumeUnits)})`,
  );
  const m = median(missedRuns);
  const b = median(baseRuns);
  console.log(
    `median resume time on DynamoDB Local: ${m.toFixed(1)} ms for ${replayed} entries, ${b.toFixed(1)} ms with nothing missed (ratio ${(m / b).toFixed(2)})`,
  );
} finally {
  await emulators.stop();
}
