import type { MetricsRecorder } from '@herald/domain';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets, in seconds: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The Prometheus metrics of one embedded server, and the recorder that moves them. */
interface PrometheusMetrics {
  /** What the domain and the transports tell as it happens. */
  readonly recorder: MetricsRecorder;
  /** The exposition: `GET /metrics`'s body and content type. */
  exposition(): Promise<{ readonly contentType: string; readonly body: string }>;
}

/**
 * Herald's metrics in Prometheus's registry (`prom-client`), behind the
 * domain's MetricsRecorder. Each server has its own registry, so several
 * servers in one process (tests, embedders) do not share counters. The
 * process's default metrics (CPU, memory, event loop lag) come with them.
 */
const createPrometheusMetrics = (): PrometheusMetrics => {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  collectDefaultMetrics({ register: registry });
  const connections = new Gauge({
    name: 'herald_connections',
    help: 'WebSocket connections open now',
    registers,
  });
  const upgradesRefused = new Counter({
    name: 'herald_upgrades_refused_total',
    help: 'WebSocket upgrades refused before the handshake completed, by reason',
    labelNames: ['reason'],
    registers,
  });
  // Frames are counted per frame, on the hot path (a broadcast is one frame
  // per socket): plain numbers there, moved into the counter when it is read.
  const unread = { in: 0, out: 0 };
  const frames = new Counter({
    name: 'herald_frames_total',
    help: 'WebSocket frames, in from clients and out to them',
    labelNames: ['direction'],
    registers,
    collect() {
      this.inc({ direction: 'in' }, unread.in);
      this.inc({ direction: 'out' }, unread.out);
      unread.in = 0;
      unread.out = 0;
    },
  });
  const notifications = new Counter({
    name: 'herald_notifications_total',
    help: 'Notification requests, by outcome (delivered, carried, failed, rejected)',
    labelNames: ['outcome'],
    registers,
  });
  const deliveries = new Counter({
    name: 'herald_deliveries_total',
    help: 'Targets of notification requests, by outcome (delivered, gone, throttled, unstarted, failed)',
    labelNames: ['outcome'],
    registers,
  });
  const deliveryLatency = new Histogram({
    name: 'herald_delivery_duration_seconds',
    help: "Time from a request's acceptance to its delivery report",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const presence = new Counter({
    name: 'herald_presence_transitions_total',
    help: 'Presence transitions committed, by status',
    labelNames: ['status'],
    registers,
  });
  const storeErrors = new Counter({
    name: 'herald_store_errors_total',
    help: 'Store calls that failed, by store and operation',
    labelNames: ['store', 'operation'],
    registers,
  });
  const storeLatency = new Histogram({
    name: 'herald_store_duration_seconds',
    help: 'Time store calls took, by store and operation',
    labelNames: ['store', 'operation'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  // Both directions start at 0, so a rate() sees them from the first scrape, as do presence's.
  frames.inc({ direction: 'in' }, 0);
  frames.inc({ direction: 'out' }, 0);
  for (const status of ['ONLINE', 'OFFLINE']) presence.inc({ status }, 0);

  const recorder: MetricsRecorder = {
    connectionOpened: () => connections.inc(),
    connectionClosed: () => connections.dec(),
    upgradeRefused: (reason) => upgradesRefused.inc({ reason }),
    frameIn: () => {
      unread.in += 1;
    },
    frameOut: () => {
      unread.out += 1;
    },
    notification: (outcome) => notifications.inc({ outcome }),
    deliveries: (outcome, count) => deliveries.inc({ outcome }, count),
    deliveryLatency: (ms) => deliveryLatency.observe(ms / 1000),
    presenceTransition: (status) => presence.inc({ status }),
    storeCall: (store, operation, ms, failed) => {
      storeLatency.observe({ store, operation }, ms / 1000);
      if (failed) storeErrors.inc({ store, operation });
    },
  };
  return {
    recorder,
    exposition: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
};

export type { PrometheusMetrics };
export { createPrometheusMetrics };
