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
 * The DynamoDB document client the stores share, made when a store is first
 * resolved (so never at import). Every call is bounded by the store timeout
 * and retries; one that runs out of them is logged at WARN (operation and
 * table) and fails as `store_unavailable`, which fails the record or the
 * invocation, for SQS or API Gateway to retry.
 */
const bindDocumentClient = (container: Container, config: LambdaConfig): void => {
  if (container.isBound(TOKENS.DocumentClient)) return;
  container.bind(TOKENS.DocumentClient).toResolvedValue(
    (logger: Logger): DynamoDBDocumentClient =>
      dynamoDbDocumentClient({
        timeoutMs: config.storeTimeoutMs,
        retries: config.storeRetries,
        observer: {
          unavailable: (failure) =>
            logger.warn('store call failed: no answer within its timeout and retries', {
              ...failure,
            }),
        },
      }),
    [TOKENS.Logger],
  );
};

/** The connection and presence stores on DynamoDB. */
const bindDynamoDbStores = (container: Container, config: LambdaConfig): void => {
  bindDocumentClient(container, config);
  container.bind(TOKENS.ConnectionStore).toResolvedValue(
    (documents: DynamoDBDocumentClient, clock: Clock) =>
      new DynamoDbConnectionStore(documents, clock, {
        tableName: requireSetting(config, 'connectionsTable'),
        maxConnectionAgeMs: config.maxConnectionAgeMs,
      }),
    [TOKENS.DocumentClient, TOKENS.Clock],
  );
  container.bind(TOKENS.PresenceStore).toResolvedValue(
    (documents: DynamoDBDocumentClient, clock: Clock) =>
      new DynamoDbPresenceStore(documents, clock, {
        tableName: requireSetting(config, 'presenceTable'),
      }),
    [TOKENS.DocumentClient, TOKENS.Clock],
  );
};

/**
 * The history and idempotency stores on DynamoDB, when a history table is
 * configured, for the handlers that keep or replay the streams' history
 * (the settings table's history readers); nothing otherwise.
 */
const bindDynamoDbHistory = (container: Container, config: LambdaConfig): void => {
  const historyTable = config.historyTable;
  if (historyTable === undefined) return;
  bindDocumentClient(container, config);
  container.bind(TOKENS.HistoryStore).toResolvedValue(
    (documents: DynamoDBDocumentClient, clock: Clock) =>
      new DynamoDbHistoryStore(documents, clock, {
        tableName: historyTable,
        retention: historyRetention(config),
      }),
    [TOKENS.DocumentClient, TOKENS.Clock],
  );
  container
    .bind(TOKENS.IdempotencyStore)
    .toResolvedValue(
      (documents: DynamoDBDocumentClient) =>
        new DynamoDbIdempotencyStore(documents, { tableName: historyTable }),
      [TOKENS.DocumentClient],
    );
};

export { bindDynamoDbHistory, bindDynamoDbStores };
