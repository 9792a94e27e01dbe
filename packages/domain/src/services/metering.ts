import type { Clock } from '../ports/clock.js';
import type {
  DeliveryOutcome,
  MetricsRecorder,
  NotificationOutcome,
} from '../ports/metrics-recorder.js';
import type { DeliveryReport } from './notification-fanout.js';

const ignore = (): void => undefined;

/** A recorder that records nothing: the default where no metrics are wanted. */
const NO_METRICS: MetricsRecorder = {
  connectionOpened: ignore,
  connectionClosed: ignore,
  upgradeRefused: ignore,
  frameIn: ignore,
  frameOut: ignore,
  notification: ignore,
  deliveries: ignore,
  deliveryLatency: ignore,
  presenceTransition: ignore,
  storeCall: ignore,
};

const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = [
  'delivered',
  'gone',
  'throttled',
  'unstarted',
  'failed',
];

/** The outcome of a request, from its delivery report (see NotificationOutcome). */
const notificationOutcomeOf = (report: DeliveryReport): NotificationOutcome => {
  if (report.failed > 0) return 'failed';
  if (report.throttled > 0 || report.unstarted > 0) return 'carried';
  return 'delivered';
};

/**
 * Records one request's delivery: its outcome, each target's outcome, and
 * its latency. Every runtime calls this with the fanout's report, so the
 * counters mean the same on every runtime.
 */
const recordDelivery = (metrics: MetricsRecorder, report: DeliveryReport, ms: number): void => {
  metrics.notification(notificationOutcomeOf(report));
  for (const outcome of DELIVERY_OUTCOMES) {
    if (report[outcome] > 0) metrics.deliveries(outcome, report[outcome]);
  }
  metrics.deliveryLatency(ms);
};

/**
 * The store given, with each method call timed and its failure counted: a
 * decorator for a composition root to put around a ConnectionStore or a
 * PresenceStore. The store's behaviour is unchanged (results and errors pass
 * through as they were).
 */
const meteredStore = <Store extends object>(
  name: 'connections' | 'presence',
  store: Store,
  metrics: MetricsRecorder,
  clock: Pick<Clock, 'now'>,
): Store =>
  new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return async (...args: unknown[]) => {
        const started = clock.now();
        try {
          const result = await value.apply(target, args);
          metrics.storeCall(name, property, clock.now() - started, false);
          return result;
        } catch (error) {
          metrics.storeCall(name, property, clock.now() - started, true);
          throw error;
        }
      };
    },
  });

export { DELIVERY_OUTCOMES, meteredStore, NO_METRICS, notificationOutcomeOf, recordDelivery };
