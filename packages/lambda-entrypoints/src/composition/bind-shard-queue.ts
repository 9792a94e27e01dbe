import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsShardQueue, sqsClientOptions } from '@herald/adapters-aws/sqs';
import type { Container } from 'inversify';
import { type LambdaConfig, requireSetting } from '../config.js';
import { TOKENS } from './tokens.js';

/** Broadcast shards go back to the notifications queue. */
const bindShardQueue = (container: Container, config: LambdaConfig): void => {
  container
    .bind(TOKENS.ShardQueue)
    .toResolvedValue(
      () =>
        new SqsShardQueue(
          new SQSClient(sqsClientOptions()),
          requireSetting(config, 'notificationsQueueUrl'),
        ),
    );
};

export { bindShardQueue };
