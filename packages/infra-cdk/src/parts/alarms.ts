import { Alarm, ComparisonOperator, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

interface HeraldAlarmsProps {
  /** Queues where a message means something was given up, each with what that means. */
  readonly deadLetterQueues: readonly { readonly queue: IQueue; readonly description: string }[];
  /** Handlers by name: each gets an errors alarm and a throttles alarm. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** Where alarms notify. @default - alarms without actions */
  readonly alarmTopic?: ITopic;
}

/**
 * Alarms on the first sign of trouble: any message in a dead-letter queue
 * (`{queue id}Alarm`), and any error or throttle of a handler
 * (`{name}ErrorsAlarm`, `{name}ThrottlesAlarm`).
 */
class HeraldAlarms {
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, props: HeraldAlarmsProps) {
    const alarms: Alarm[] = [];
    const alarm = (alarmId: string, metric: IMetric, description: string) => {
      const created = new Alarm(scope, alarmId, {
        metric,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: description,
      });
      if (props.alarmTopic) created.addAlarmAction(new SnsAction(props.alarmTopic));
      alarms.push(created);
    };
    for (const { queue, description } of props.deadLetterQueues) {
      alarm(`${queue.node.id}Alarm`, queue.metricApproximateNumberOfMessagesVisible(), description);
    }
    for (const [name, handler] of Object.entries(props.functions)) {
      alarm(`${name}ErrorsAlarm`, handler.metricErrors(), `The ${name} handler failed`);
      alarm(
        `${name}ThrottlesAlarm`,
        handler.metricThrottles(),
        `The ${name} handler was throttled`,
      );
    }
    this.alarms = alarms;
  }
}

export type { HeraldAlarmsProps };
export { HeraldAlarms };
