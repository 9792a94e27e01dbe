import { METRIC_NAMES, METRICS_NAMESPACE } from '@herald/domain';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { HeraldDashboard } from '../src/parts/dashboard.js';

/** The dashboard's body, as CloudWatch receives it. */
const bodyOf = (serviceName?: string) => {
  const stack = new Stack(new App(), 'Dashboard');
  new HeraldDashboard(stack, serviceName === undefined ? {} : { serviceName });
  const [dashboard] = Object.values(
    Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'),
  ) as [{ Properties: { DashboardBody: unknown } }];
  const body = dashboard.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '')).join('');
  return JSON.parse(text) as {
    widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
  };
};

const leafNames = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : typeof value === 'object' && value !== null
      ? Object.values(value).flatMap(leafNames)
      : [];

describe('HeraldDashboard', () => {
  // Synthesised once, outside the tests' time limit: the first synth loads aws-cdk-lib.
  const body = bodyOf();
  const named = bodyOf('orders-realtime');

  it('graphs every metric the handlers publish, in their namespace and service', () => {
    const graphed = body.widgets.flatMap((widget) => widget.properties.metrics ?? []);
    const names = new Set(graphed.flatMap((metric) => metric.filter((v) => typeof v === 'string')));
    for (const name of leafNames(METRIC_NAMES).filter((n) => n !== METRIC_NAMES.upgradesRefused))
      expect(names, name).toContain(name);
    expect(names).toContain(METRICS_NAMESPACE);
    expect(names).toContain('herald');
    expect(JSON.stringify(body)).toContain(
      `MetricName=\\"${METRIC_NAMES.upgradesRefused}\\" service=\\"herald\\"`,
    );
    expect(body.widgets.map((w) => w.properties.title)).toContain('Delivery latency (ms)');
  });

  it('reads the service dimension it is given', () => {
    expect(JSON.stringify(named)).toContain('orders-realtime');
    expect(JSON.stringify(named)).not.toContain('"herald"');
  });
});
