import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DynamoDbConnectionStore,
  DynamoDbHistoryStore,
  DynamoDbIdempotencyStore,
  DynamoDbPresenceStore,
} from '@herald/adapters-aws/dynamodb';
import { dynamoDbDocumentClient } from '@herald/adapters-aws/wiring/dynamodb';
import type { Clock } from '@herald/domain';
import { historyRetention } from '@herald/settings';
import type { Container } from 'inversify';
import { type LambdaConfig, requireSetting } from '../config.js';
import { TOKENS } from './tokens.js';

/**
 * The connection and presence stores on DynamoDB, and the history and
 * idempotency stores when a history table is configured, sharing one client
 * made when a store is first resolved. Every call is bounded by the store
 * timeout and retries; one that runs out of them is logged at WARN (operation
 * and table) and fails as `store_unavailable`, which fails the record or the
 * invocation, for SQS or API Gateway to retry.
 */
const bindDynamoDbStores = (container: Container, config: LambdaConfig): void => {
  let client: DynamoDBDocumentClient | undefined;
  const documents = (logger: Logger) => {
    client ??= dynamoDbDocumentClient({
      timeoutMs: config.storeTimeoutMs,
      retries: config.storeRetries,
      observer: {
        unavailable: (failure) =>
          logger.warn('store call failed: no answer within its timeout and retries', {
            ...failure,
          }),
      },
    });
    return client;
  };
  container.bind(TOKENS.ConnectionStore).toResolvedValue(
    (clock: Clock, logger: Logger) =>
      new DynamoDbConnectionStore(documents(logger), clock, {
        tableName: requireSetting(config, 'connectionsTable'),
        maxConnectionAgeMs: config.maxConnectionAgeMs,
      }),
    [TOKENS.Clock, TOKENS.Logger],
  );
  container.bind(TOKENS.PresenceStore).toResolvedValue(
    (clock: Clock, logger: Logger) =>
      new DynamoDbPresenceStore(documents(logger), clock, {
        tableName: requireSetting(config, 'presenceTable'),
      }),
    [TOKENS.Clock, TOKENS.Logger],
  );
  const historyTable = config.historyTable;
  if (historyTable === undefined) return;
  container.bind(TOKENS.HistoryStore).toResolvedValue(
    (clock: Clock, logger: Logger) =>
      new DynamoDbHistoryStore(documents(logger), clock, {
        tableName: historyTable,
        retention: historyRetention(config),
      }),
    [TOKENS.Clock, TOKENS.Logger],
  );
  container
    .bind(TOKENS.IdempotencyStore)
    .toResolvedValue(
      (logger: Logger) =>
        new DynamoDbIdempotencyStore(documents(logger), { tableName: historyTable }),
      [TOKENS.Logger],
    );
};

export { bindDynamoDbStores };
