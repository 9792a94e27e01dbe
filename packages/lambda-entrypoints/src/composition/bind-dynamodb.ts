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
 * made when a store is first resolved.
 */
const bindDynamoDbStores = (container: Container, config: LambdaConfig): void => {
  let client: DynamoDBDocumentClient | undefined;
  const documents = () => {
    client ??= dynamoDbDocumentClient();
    return client;
  };
  container.bind(TOKENS.ConnectionStore).toResolvedValue(
    (clock: Clock) =>
      new DynamoDbConnectionStore(documents(), clock, {
        tableName: requireSetting(config, 'connectionsTable'),
        maxConnectionAgeMs: config.maxConnectionAgeMs,
      }),
    [TOKENS.Clock],
  );
  container.bind(TOKENS.PresenceStore).toResolvedValue(
    (clock: Clock) =>
      new DynamoDbPresenceStore(documents(), clock, {
        tableName: requireSetting(config, 'presenceTable'),
      }),
    [TOKENS.Clock],
  );
  const historyTable = config.historyTable;
  if (historyTable === undefined) return;
  container.bind(TOKENS.HistoryStore).toResolvedValue(
    (clock: Clock) =>
      new DynamoDbHistoryStore(documents(), clock, {
        tableName: historyTable,
        retention: historyRetention(config),
      }),
    [TOKENS.Clock],
  );
  container
    .bind(TOKENS.IdempotencyStore)
    .toResolvedValue(() => new DynamoDbIdempotencyStore(documents(), { tableName: historyTable }));
};

export { bindDynamoDbStores };
