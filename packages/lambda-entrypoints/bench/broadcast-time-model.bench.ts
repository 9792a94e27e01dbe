// How long a broadcast takes on the notifications queue, simulated, against
// the time model in the README ("How long a broadcast takes"). Prints one row
// per configuration: the model's estimate, the simulated time, their ratio,
// and the posts per connection (always exactly 1).
//
//   pnpm --filter @herald/lambda-entrypoints bench
import { expect, it } from 'vitest';
import { createQueueSimulation } from './queue-simulation.js';

interface Row {
  readonly connections: number;
  readonly shards: number;
  readonly concurrency: number;
  readonly latencyMs: number;
  readonly ratePerSecond: number;
}

const PAGE = 500;
const PICKUP_MS = 100;

/**
 * The model: a shard posts one page per invocation, `concurrency` at a time,
 * then hands on its cursor (one pickup); all shards together are capped by
 * the account's rate.
 */
const modelSeconds = ({ connections, shards, concurrency, latencyMs, ratePerSecond }: Row) => {
  const pageMs = Math.ceil(PAGE / concurrency) * latencyMs + PICKUP_MS;
  const perShard = (PAGE / pageMs) * 1000;
  const rate = Math.min(shards * perShard, ratePerSecond);
  return connections / rate;
};

const rows: Row[] = [
  { connections: 1_000_000, shards: 8, concurrency: 64, latencyMs: 30, ratePerSecond: 10_000 },
  { connections: 1_000_000, shards: 8, concurrency: 64, latencyMs: 30, ratePerSecond: 1e9 },
  { connections: 1_000_000, shards: 4, concurrency: 64, latencyMs: 60, ratePerSecond: 10_000 },
  { connections: 1_000_000, shards: 16, concurrency: 64, latencyMs: 30, ratePerSecond: 10_000 },
  { connections: 1_000_000, shards: 16, concurrency: 64, latencyMs: 30, ratePerSecond: 50_000 },
];

it('simulates a million-connection broadcast in several configurations', async () => {
  const lines = [
    '| shards | posts in flight | latency | rate cap | model | simulated | ratio | posts per connection |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const sim = await createQueueSimulation({
      connections: row.connections,
      gateway: { latencyMs: row.latencyMs, ratePerSecond: row.ratePerSecond },
      fanout: { broadcastShards: row.shards, concurrency: row.concurrency, pageSize: PAGE },
      timeoutMs: 60_000,
      deadlineMarginMs: 7000,
      maxConcurrency: row.shards + 8,
      pickupMs: PICKUP_MS,
    });
    const started = performance.now();
    const { simulatedMs } = await sim.run('{"data":{"type":"notification"}}');
    const wallMs = performance.now() - started;
    const histogram = [...sim.deliveryHistogram()];
    expect(histogram).toEqual([[1, row.connections]]);
    const model = modelSeconds(row);
    const simulated = simulatedMs / 1000;
    lines.push(
      `| ${row.shards} | ${row.concurrency} | ${row.latencyMs} ms | ${row.ratePerSecond >= 1e9 ? 'none' : `${row.ratePerSecond}/s`} | ` +
        `${model.toFixed(0)} s | ${simulated.toFixed(0)} s | ${(simulated / model).toFixed(2)} | 1 (of ${sim.gateway.attempts} posts, ${sim.gateway.throttled} answered 429; ${(wallMs / 1000).toFixed(1)} s wall) |`,
    );
  }
  console.info(lines.join('\n'));
});
