import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type EventPublisher, type EventRoutes, RoutedEventPublisher } from '@herald/domain';
import { SnsEventPublisher } from '../sns/sns-event-publisher.js';
import { SqsEventPublisher } from '../sqs/sqs-event-publisher.js';
import { sqsClient } from './sqs-client.js';

/** The backends' outputs on AWS; either, both or neither. */
interface OutputSettings {
  /** SNS topic: client `publish` messages and presence events. */
  readonly outputTopicArn?: string | undefined;
  /** SQS queue: client `send` messages (and everything else, without a topic). */
  readonly outputQueueUrl?: string | undefined;
}

/**
 * Which output carries what: client `send` goes to the queue, client
 * `publish` and presence events to the topic. With only one of the two, it
 * carries everything; with neither, every route is empty and events are
 * dropped on purpose.
 */
const outputRoutes = (outputs: {
  readonly topic?: EventPublisher | undefined;
  readonly queue?: EventPublisher | undefined;
}): EventRoutes => {
  const toQueue = [outputs.queue ?? outputs.topic].filter((p) => p !== undefined);
  const toTopic = [outputs.topic ?? outputs.queue].filter((p) => p !== undefined);
  return { send: toQueue, publish: toTopic, presence: toTopic };
};

/**
 * The SNS and SQS publishers the settings name, routed by `outputRoutes`;
 * undefined when neither output is set. `clients.sqs` lets a process share
 * one SQS client with its other queues.
 */
const awsOutputPublisher = (
  settings: OutputSettings,
  clients: { readonly sqs?: SQSClient } = {},
): RoutedEventPublisher | undefined => {
  const { outputTopicArn, outputQueueUrl } = settings;
  if (outputTopicArn === undefined && outputQueueUrl === undefined) return undefined;
  const topic =
    outputTopicArn === undefined
      ? undefined
      : new SnsEventPublisher(new SNSClient({}), { topicArn: outputTopicArn });
  const queue =
    outputQueueUrl === undefined
      ? undefined
      : new SqsEventPublisher(clients.sqs ?? sqsClient(), { queueUrl: outputQueueUrl });
  return new RoutedEventPublisher(outputRoutes({ topic, queue }));
};

export type { OutputSettings };
export { awsOutputPublisher, outputRoutes };
