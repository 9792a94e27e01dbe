import { METRIC_NAMES, METRICS_NAMESPACE } from '@herald/domain';
import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

interface HeraldDashboardProps {
  /** The `service` dimension the handlers publish under. @default 'herald' */
  readonly serviceName?: string;
  /** The dashboard's name. @default - a name CloudFormation generates */
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(1);

/**
 * A CloudWatch dashboard of the metrics the Lambda handlers publish (CloudWatch
 * EMF, namespace `Herald`; names in `METRIC_NAMES` of `@herald/domain`, the
 * same counters the embedded server serves on `/metrics`): connections,
 * refused upgrades by reason, frames, notifications and deliveries by
 * outcome, delivery latency, presence transitions, and store calls.
 */
class HeraldDashboard {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, props: HeraldDashboardProps = {}) {
    const service = props.serviceName ?? 'herald';
    const metric = (metricName: string, statistic = 'Sum', label?: string): IMetric =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic,
        period: PERIOD,
        ...(label === undefined ? {} : { label }),
      });
    const counts = (names: Readonly<Record<string, string>>) =>
      Object.entries(names).map(([label, name]) => metric(name, 'Sum', label));
    const latency = (name: string) =>
      ['p50', 'p99', 'Maximum'].map((statistic) => metric(name, statistic, statistic));
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 8, height: 6 });

    this.dashboard = new Dashboard(scope, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Herald\nWhat the Lambda handlers publish (namespace `Herald`), per minute. Latencies in ms.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Connections opened and closed', [
        metric(METRIC_NAMES.connectionsOpened, 'Sum', 'opened'),
        metric(METRIC_NAMES.connectionsClosed, 'Sum', 'closed'),
      ]),
      graph('Upgrades refused, by reason', [
        new MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},reason,service} MetricName="${METRIC_NAMES.upgradesRefused}" service="${service}"', 'Sum', ${PERIOD.toSeconds()})`,
          label: '',
          period: PERIOD,
        }),
      ]),
      graph('Frames', [
        metric(METRIC_NAMES.framesIn, 'Sum', 'in'),
        metric(METRIC_NAMES.framesOut, 'Sum', 'out (replies)'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Notification requests, by outcome', counts(METRIC_NAMES.notifications)),
      graph('Deliveries (targets), by outcome', counts(METRIC_NAMES.deliveries)),
      graph('Delivery latency (ms)', latency(METRIC_NAMES.deliveryLatency)),
    );
    this.dashboard.addWidgets(
      graph('Presence transitions', counts(METRIC_NAMES.presence)),
      graph('Store errors', [metric(METRIC_NAMES.storeErrors, 'Sum', 'errors')]),
      graph('Store latency (ms)', latency(METRIC_NAMES.storeLatency)),
    );
  }
}

export type { HeraldDashboardProps };
export { HeraldDashboard };
