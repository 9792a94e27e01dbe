import { describe, expect, it } from 'vitest';
import { createQueueSimulation } from '../bench/queue-simulation.js';
import { broadcastSizing } from '../src/broadcast-sizing.js';

// What the sizing model (docs/sizing.md) gives the construct for a million
// connections: 8 shards, 64 posts in flight per invocation, one record per
// invocation, at most 16 at once, a 60 s timeout; API Gateway answering in
// 30 ms, capped at 10,000 posts/s. About 12 s and 0.9 GB on a 2-core machine;
// HERALD_SIM_CONNECTIONS runs a smaller one.
const CONNECTIONS = Number(process.env.HERALD_SIM_CONNECTIONS ?? 1_000_000);
const sized = broadcastSizing({ expectedConnections: 1_000_000, postsPerSecond: 10_000 });

describe('a broadcast on the notifications queue (simulated)', () => {
  it('reaches every one of 1,000,000 connections exactly once, across invocations that each end in time', async () => {
    const sim = await createQueueSimulation({
      connections: CONNECTIONS,
      gateway: { latencyMs: 30, ratePerSecond: 10_000 },
      fanout: {
        broadcastShards: sized.shards,
        concurrency: sized.concurrency,
        pageSize: sized.pageSize,
      },
      timeoutMs: sized.timeoutSeconds * 1000,
      deadlineMarginMs: 7000,
      maxConcurrency: sized.maxConcurrency,
    });

    const { simulatedMs } = await sim.run('{"data":{"type":"notification","message":"all"}}');

    expect([...sim.deliveryHistogram()]).toEqual([[1, CONNECTIONS]]);
    expect(sim.deadLetters).toEqual([]);
    expect(sim.invocations.filter((i) => i.endedAt - i.startedAt > i.timeoutMs)).toEqual([]);
    // Each shard message posts one page, then hands its cursor to a continuation.
    expect(sim.queue.continuations).toBeGreaterThanOrEqual(
      CONNECTIONS / sized.pageSize - sized.shards,
    );
    // At 10,000 posts/s after a burst of 5,000, the posts take at least (N - 5,000) / 10,000 s.
    expect(simulatedMs).toBeGreaterThanOrEqual(((CONNECTIONS - 5000) / 10_000) * 1000);
    // And the model's time holds, within a tenth (it leaves out the burst and the 429s).
    if (CONNECTIONS === 1_000_000) {
      expect(Math.abs(simulatedMs / 1000 - sized.seconds) / sized.seconds).toBeLessThan(0.1);
    }
    console.info(
      `simulated broadcast: ${CONNECTIONS} connections, ${sim.invocations.length} invocations, ` +
        `${sim.gateway.attempts} posts (${sim.gateway.throttled} answered 429), ` +
        `${(simulatedMs / 1000).toFixed(1)} s simulated`,
    );
  }, 60_000);
});
