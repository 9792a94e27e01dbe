import { awsOutputPublisher, outputRoutes } from '@herald/adapters-aws/wiring/outputs';
import { RoutedEventPublisher } from '@herald/domain';
import type { Container } from 'inversify';
import type { LambdaConfig } from '../config.js';
import { TOKENS } from './tokens.js';

/**
 * Client messages and presence out, routed as on every runtime: send to the
 * queue, publish and presence to the topic. With neither set, events go
 * nowhere.
 */
const bindOutputs = (container: Container, config: LambdaConfig): void => {
  container.bind(TOKENS.EventPublisher).toResolvedValue(
    () =>
      awsOutputPublisher({
        outputTopicArn: config.outputTopicArn,
        outputQueueUrl: config.outputQueueUrl,
      }) ?? new RoutedEventPublisher(outputRoutes({})),
  );
};

export { bindOutputs };
