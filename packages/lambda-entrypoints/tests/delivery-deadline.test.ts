import { describe, expect, it } from 'vitest';
import { createQueueSimulation } from '../bench/queue-simulation.js';

describe('the notifications handler under a short deadline (simulated time)', () => {
  it('never runs past its remaining time, and carries what it did not post to continuations', async () => {
    // prepare: 3,000 connections of one user; posts take 50 ms and API
    // Gateway allows 200/s, so the request needs about 15 s of posting.
    const sim = await createQueueSimulation({
      connections: 3000,
      connectionsPerUser: 3000,
      gateway: { latencyMs: 50, ratePerSecond: 200, burst: 50 },
      fanout: { concurrency: 16, retry: { baseDelayMs: 50, maxDelayMs: 1000 } },
      timeoutMs: 5000,
      deadlineMarginMs: 1000,
      maxConcurrency: 2,
    });

    // act
    await sim.run('{"users":["u0"],"data":{"n":1},"id":"req-1"}');

    // assess
    const overran = sim.invocations.filter((i) => i.endedAt - i.startedAt > i.timeoutMs);
    expect(overran).toEqual([]);
    expect(sim.invocations.length).toBeGreaterThan(3);
    expect(sim.queue.continuations).toBeGreaterThan(0);
    expect([...sim.deliveryHistogram()]).toEqual([[1, 3000]]);
    expect(sim.deadLetters).toEqual([]);
    expect(sim.queue.delays.every((d) => d >= 0 && d <= 900)).toBe(true);
  });

  it('logs a carried request at WARN, naming the first connections and why', async () => {
    const sim = await createQueueSimulation({
      connections: 500,
      connectionsPerUser: 500,
      gateway: { latencyMs: 50, ratePerSecond: 100, burst: 10 },
      fanout: { concurrency: 8 },
      timeoutMs: 2000,
      deadlineMarginMs: 500,
      maxConcurrency: 1,
    });

    await sim.run('{"users":["u0"],"data":{"n":1}}');

    const warned = sim.lines.filter((line) => line.level === 'warn');
    expect(warned.length).toBeGreaterThan(0);
    const first = warned[0]?.fields as { undelivered: { connectionId: string; reason: string }[] };
    expect(first.undelivered.length).toBeGreaterThan(0);
    expect(first.undelivered.length).toBeLessThanOrEqual(10);
    for (const entry of first.undelivered) {
      expect(entry.connectionId).toMatch(/^c\d{7}$/);
      expect(['throttled', 'unreachable', 'deadline']).toContain(entry.reason);
    }
  });
});
