import {
  type DeliveryOutcome,
  METRIC_NAMES,
  METRICS_NAMESPACE,
  type MetricsRecorder,
  type NotificationOutcome,
} from '@herald/domain';

type PowertoolsModule = typeof import('@aws-lambda-powertools/metrics');

/** A MetricsRecorder that a handler's invocation publishes as it ends. */
interface PublishingMetricsRecorder extends MetricsRecorder {
  publish(): Promise<void>;
}

/**
 * MetricsRecorder for Lambda: what an invocation tells is kept in memory and
 * published once, at its end (`publish()`), as one CloudWatch EMF line
 * through Powertools Metrics (plus one per refused upgrade, with its reason as
 * a dimension). Powertools Metrics is imported at the first publish, not at
 * init, so it adds nothing to a function's cold import.
 */
class CloudWatchMetricsRecorder implements PublishingMetricsRecorder {
  private counts = new Map<string, number>();
  private latencies = new Map<string, number[]>();
  private refusals: string[] = [];
  private powertools: Promise<PowertoolsModule> | undefined;
  private metrics: InstanceType<PowertoolsModule['Metrics']> | undefined;

  constructor(private readonly serviceName = 'herald') {}

  connectionOpened(): void {
    this.count(METRIC_NAMES.connectionsOpened);
  }
  connectionClosed(): void {
    this.count(METRIC_NAMES.connectionsClosed);
  }
  upgradeRefused(reason: string): void {
    this.count(METRIC_NAMES.upgradesRefused);
    this.refusals.push(reason);
  }
  frameIn(): void {
    this.count(METRIC_NAMES.framesIn);
  }
  frameOut(): void {
    this.count(METRIC_NAMES.framesOut);
  }
  notification(outcome: NotificationOutcome): void {
    this.count(METRIC_NAMES.notifications[outcome]);
  }
  deliveries(outcome: DeliveryOutcome, count: number): void {
    this.count(METRIC_NAMES.deliveries[outcome], count);
  }
  deliveryLatency(ms: number): void {
    this.latency(METRIC_NAMES.deliveryLatency, ms);
  }
  presenceTransition(status: 'ONLINE' | 'OFFLINE'): void {
    this.count(METRIC_NAMES.presence[status]);
  }
  storeCall(
    _store: 'connections' | 'presence',
    _operation: string,
    ms: number,
    failed: boolean,
  ): void {
    this.latency(METRIC_NAMES.storeLatency, ms);
    if (failed) this.count(METRIC_NAMES.storeErrors);
  }

  /** Publishes what this invocation recorded, and forgets it; nothing when nothing was recorded. */
  async publish(): Promise<void> {
    if (this.counts.size === 0 && this.latencies.size === 0) return;
    const { counts, latencies, refusals } = this;
    this.counts = new Map();
    this.latencies = new Map();
    this.refusals = [];
    this.powertools ??= import('@aws-lambda-powertools/metrics');
    const { Metrics, MetricUnit } = await this.powertools;
    this.metrics ??= new Metrics({ namespace: METRICS_NAMESPACE, serviceName: this.serviceName });
    const metrics = this.metrics;
    for (const [name, value] of counts) metrics.addMetric(name, MetricUnit.Count, value);
    for (const [name, values] of latencies)
      for (const value of values) metrics.addMetric(name, MetricUnit.Milliseconds, value);
    metrics.publishStoredMetrics();
    for (const reason of refusals) {
      const single = metrics.singleMetric();
      single.addDimension('reason', reason);
      single.addMetric(METRIC_NAMES.upgradesRefused, MetricUnit.Count, 1);
    }
  }

  private count(name: string, by = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + by);
  }

  private latency(name: string, ms: number): void {
    const values = this.latencies.get(name);
    if (values === undefined) this.latencies.set(name, [ms]);
    else if (values.length < 100) values.push(ms); // EMF takes at most 100 values per metric
  }
}

/** The handler given, publishing the recorder's metrics once each invocation ends, however it ends. */
const publishingMetrics =
  <Args extends unknown[], Result>(
    handler: (...args: Args) => Promise<Result>,
    metrics: PublishingMetricsRecorder,
  ) =>
  async (...args: Args): Promise<Result> => {
    try {
      return await handler(...args);
    } finally {
      await metrics.publish();
    }
  };

export type { PublishingMetricsRecorder };
export { CloudWatchMetricsRecorder, publishingMetrics };
