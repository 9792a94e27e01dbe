import {
  connectionsTableDefinition,
  historyTableDefinition,
  presenceTableDefinition,
  TTL_ATTRIBUTE,
} from '@herald/adapters-aws/dynamodb';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../defaults.js';
import { tableFromDefinition } from '../table-from-definition.js';

interface HeraldTablesProps {
  /** What happens to the tables when the stack goes. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Point-in-time recovery on every table. @default true */
  readonly pointInTimeRecovery?: boolean;
}

/**
 * Herald's state: the connections table (TTL on a Number attribute, and the
 * stream that presence is derived from), the presence table, and the history
 * table (the streams' entries and idempotency claims, TTL on a Number), from
 * the definitions the adapters use.
 *
 * Like every part, it builds into the scope it is given, under the ids the
 * single construct used, so that a deployed stack keeps its tables.
 */
class HeraldTables {
  public readonly connectionsTable: Table;
  public readonly presenceTable: Table;
  /** Streams' history and claimed request ids: what `resume` and idempotent publish read. */
  public readonly historyTable: Table;

  constructor(scope: Construct, props: HeraldTablesProps = {}) {
    const options = {
      removalPolicy: props.removalPolicy ?? DEFAULTS.removalPolicy,
      pointInTimeRecovery: props.pointInTimeRecovery ?? DEFAULTS.pointInTimeRecovery,
    };
    this.connectionsTable = tableFromDefinition(
      scope,
      'ConnectionsTable',
      connectionsTableDefinition('herald-connections'),
      { ...options, timeToLiveAttribute: TTL_ATTRIBUTE },
    );
    this.presenceTable = tableFromDefinition(
      scope,
      'PresenceTable',
      presenceTableDefinition('herald-presence'),
      options,
    );
    this.historyTable = tableFromDefinition(
      scope,
      'HistoryTable',
      historyTableDefinition('herald-history'),
      { ...options, timeToLiveAttribute: TTL_ATTRIBUTE },
    );
  }
}

/**
 * Least privilege on a table: only these actions, on the table and the named
 * indexes (never `index/*`).
 */
const grantTableActions = (
  grantee: IFunction,
  table: Table,
  actions: readonly string[],
  indexes: readonly string[] = [],
): void =>
  grantee.addToRolePolicy(
    new PolicyStatement({
      actions: actions.map((action) => `dynamodb:${action}`),
      resources: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index}`)],
    }),
  );

export type { HeraldTablesProps };
export { grantTableActions, HeraldTables };
