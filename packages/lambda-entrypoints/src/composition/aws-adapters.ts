import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayConnectionGateway } from '@herald/adapters-aws/apigateway';
import { DynamoDbConnectionStore, DynamoDbPresenceStore } from '@herald/adapters-aws/dynamodb';
import { HttpKeySource } from '@herald/adapters-aws/keys';
import { SnsEventPublisher } from '@herald/adapters-aws/sns';
import { SqsEventPublisher } from '@herald/adapters-aws/sqs';
import { StaticKeySource, SystemClock } from '@herald/adapters-memory';
import {
  type Clock,
  type ConnectionGateway,
  type EventPublisher,
  RoutedEventPublisher,
} from '@herald/domain';
import type { Container } from 'inversify';
import { type LambdaConfig, requireSetting } from '../config.js';
import type { AdapterBinder } from './container.js';
import { SqsShardQueue } from './shard-queue.js';
import { TOKENS } from './tokens.js';

/**
 * The AWS adapters. SDK clients are made lazily, when a handler first
 * resolves the service that needs them, and never call the network at init.
 * Clients take region and credentials from the Lambda environment.
 */
const bindAwsAdapters: AdapterBinder = (container: Container, config: LambdaConfig) => {
  container.bind(TOKENS.Clock).toConstantValue(new SystemClock());
  const documents = () =>
    DynamoDBDocumentClient.from(new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    });
  container.bind(TOKENS.ConnectionStore).toResolvedValue(
    (clock: Clock) =>
      new DynamoDbConnectionStore(documents(), clock, {
        tableName: requireSetting(config, 'HERALD_CONNECTIONS_TABLE'),
        maxConnectionAgeMs: config.HERALD_MAX_CONNECTION_AGE_MS,
      }),
    [TOKENS.Clock],
  );
  container.bind(TOKENS.PresenceStore).toResolvedValue(
    (clock: Clock) =>
      new DynamoDbPresenceStore(documents(), clock, {
        tableName: requireSetting(config, 'HERALD_PRESENCE_TABLE'),
      }),
    [TOKENS.Clock],
  );
  container.bind(TOKENS.EventPublisher).toResolvedValue(() => {
    const topic = config.HERALD_OUTPUT_TOPIC_ARN
      ? new SnsEventPublisher(new SNSClient({}), { topicArn: config.HERALD_OUTPUT_TOPIC_ARN })
      : undefined;
    const queue = config.HERALD_OUTPUT_QUEUE_URL
      ? new SqsEventPublisher(new SQSClient({}), { queueUrl: config.HERALD_OUTPUT_QUEUE_URL })
      : undefined;
    const toQueue: EventPublisher[] = [queue ?? topic].filter((p) => p !== undefined);
    const toTopic: EventPublisher[] = [topic ?? queue].filter((p) => p !== undefined);
    return new RoutedEventPublisher({ send: toQueue, publish: toTopic, presence: toTopic });
  });
  container.bind(TOKENS.KeySource).toResolvedValue(() => {
    if (config.HERALD_JWKS_URL)
      return new HttpKeySource({ url: config.HERALD_JWKS_URL, format: 'jwks' });
    if (config.HERALD_X509_URL)
      return new HttpKeySource({ url: config.HERALD_X509_URL, format: 'x509' });
    return StaticKeySource.fromSecret(requireSetting(config, 'HERALD_JWT_SECRET'));
  });
  container.bind(TOKENS.GatewayFor).toResolvedValue(() => {
    const gateways = new Map<string, ConnectionGateway>();
    return (endpoint: string) => {
      let gateway = gateways.get(endpoint);
      if (gateway === undefined) {
        gateway = new ApiGatewayConnectionGateway({
          endpoint,
          maxSockets: config.HERALD_FANOUT_CONCURRENCY * 2,
        });
        gateways.set(endpoint, gateway);
      }
      return gateway;
    };
  });
  container
    .bind(TOKENS.ShardQueue)
    .toResolvedValue(
      () =>
        new SqsShardQueue(
          new SQSClient({}),
          requireSetting(config, 'HERALD_NOTIFICATIONS_QUEUE_URL'),
        ),
    );
};

export { bindAwsAdapters };
