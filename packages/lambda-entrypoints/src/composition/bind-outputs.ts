import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SnsEventPublisher } from '@herald/adapters-aws/sns';
import { SqsEventPublisher, sqsClientOptions } from '@herald/adapters-aws/sqs';
import { type EventPublisher, RoutedEventPublisher } from '@herald/domain';
import type { Container } from 'inversify';
import type { LambdaConfig } from '../config.js';
import { TOKENS } from './tokens.js';

/** Client messages and presence out, as DESIGN.md routes them: send to the queue, publish and presence to the topic. */
const bindOutputs = (container: Container, config: LambdaConfig): void => {
  container.bind(TOKENS.EventPublisher).toResolvedValue(() => {
    const topic = config.HERALD_OUTPUT_TOPIC_ARN
      ? new SnsEventPublisher(new SNSClient({}), { topicArn: config.HERALD_OUTPUT_TOPIC_ARN })
      : undefined;
    const queue = config.HERALD_OUTPUT_QUEUE_URL
      ? new SqsEventPublisher(new SQSClient(sqsClientOptions()), {
          queueUrl: config.HERALD_OUTPUT_QUEUE_URL,
        })
      : undefined;
    const toQueue: EventPublisher[] = [queue ?? topic].filter((p) => p !== undefined);
    const toTopic: EventPublisher[] = [topic ?? queue].filter((p) => p !== undefined);
    return new RoutedEventPublisher({ send: toQueue, publish: toTopic, presence: toTopic });
  });
};

export { bindOutputs };
