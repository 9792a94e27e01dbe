import { describe, expect, it } from 'vitest';
import type { DeliveryReport, MetricsRecorder } from '../src/index.js';
import { meteredStore, NO_METRICS, recordDelivery } from '../src/index.js';

/** A recorder that keeps what it was told, as `method:args` lines. */
const recording = () => {
  const told: string[] = [];
  const recorder = new Proxy(NO_METRICS, {
    get:
      (_target, method) =>
      (...args: unknown[]) =>
        told.push([String(method), ...args.map(String)].join(':')),
  }) as MetricsRecorder;
  return { told, recorder };
};

const report = (counts: Partial<DeliveryReport>): DeliveryReport => ({
  targeted: 0,
  delivered: 0,
  gone: 0,
  throttled: 0,
  unstarted: 0,
  retries: 0,
  failed: 0,
  failures: [],
  carry: { retry: [], unstarted: [], shards: [] },
  ...counts,
});

describe('recordDelivery', () => {
  it('records the outcome of the request, each target outcome counted, and the latency', () => {
    const { told, recorder } = recording();

    recordDelivery(recorder, report({ targeted: 4, delivered: 2, gone: 1, throttled: 1 }), 12);

    expect(told).toEqual([
      'notification:carried',
      'deliveries:delivered:2',
      'deliveries:gone:1',
      'deliveries:throttled:1',
      'deliveryLatency:12',
    ]);
  });

  it('calls a request with a permanent failure failed, and one fully delivered delivered', () => {
    const { told, recorder } = recording();

    recordDelivery(recorder, report({ targeted: 2, delivered: 1, failed: 1, throttled: 0 }), 1);
    recordDelivery(recorder, report({ targeted: 1, delivered: 1 }), 1);

    expect(told.filter((line) => line.startsWith('notification:'))).toEqual([
      'notification:failed',
      'notification:delivered',
    ]);
  });
});

describe('meteredStore', () => {
  it('times each call and counts a failure, passing results and errors through', async () => {
    const { told, recorder } = recording();
    let now = 100;
    const clock = { now: () => now };
    const store = {
      async get(id: string) {
        now += 5;
        return `record ${id}`;
      },
      async put() {
        now += 2;
        throw new Error('throttled');
      },
    };
    const metered = meteredStore('connections', store, recorder, clock);

    const got = await metered.get('c1');
    const put = await metered.put().catch((error: Error) => error.message);

    expect(got).toBe('record c1');
    expect(put).toBe('throttled');
    expect(told).toEqual(['storeCall:connections:get:5:false', 'storeCall:connections:put:2:true']);
  });
});
