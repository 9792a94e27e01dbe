import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { HeraldAlarms } from '../src/parts/alarms.js';

/** The alarms part on its own: one dead-letter queue, two handlers, and maybe a topic. */
const synthesize = (withTopic: boolean) => {
  const stack = new Stack(new App(), 'Alarms');
  const queue = new Queue(stack, 'SomeDeadLetterQueue');
  const handler = (id: string) =>
    new LambdaFunction(stack, id, {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => {};'),
    });
  const first = handler('First');
  const second = handler('Second');
  const alarmTopic = withTopic ? new Topic(stack, 'AlarmTopic') : undefined;
  const alarms = new HeraldAlarms(stack, {
    deadLetterQueues: [{ queue, description: 'Something was given up' }],
    functions: { first, second },
    alarmTopic,
  });
  return { template: Template.fromStack(stack), stack, queue, first, alarmTopic, alarms };
};

describe('HeraldAlarms', () => {
  const withoutTopic = synthesize(false);
  const withTopic = synthesize(true);

  it('alarms on the first message visible in a dead-letter queue', () => {
    const { template, stack, queue } = withoutTopic;

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(queue.queueName) }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      AlarmDescription: 'Something was given up',
    });
  });

  it('alarms on every error and every throttle of each handler', () => {
    const { template, stack, first } = withoutTopic;

    for (const [metric, description] of [
      ['Errors', 'The first handler failed'],
      ['Throttles', 'The first handler was throttled'],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: stack.resolve(first.functionName) }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmDescription: description,
      });
    }
    // One per dead-letter queue, two per handler.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1 + 2 * 2);
  });

  it('notifies the alarm topic from every alarm, when given one', () => {
    const { template, stack, alarmTopic, alarms } = withTopic;

    const actions = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties.AlarmActions,
    );
    expect(actions).toHaveLength(alarms.alarms.length);
    for (const action of actions) expect(action).toEqual([stack.resolve(alarmTopic?.topicArn)]);
  });

  it('raises alarms without actions when no topic is given', () => {
    const { template } = withoutTopic;

    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { AlarmActions: Match.anyValue() },
      0,
    );
  });
});
