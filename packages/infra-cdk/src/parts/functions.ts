import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONNECTIONS_USER_INDEX, PRESENCE_EXPIRY_INDEX } from '@herald/adapters-aws/dynamodb';
import { type BroadcastSizingInput, broadcastSizing } from '@herald/lambda-entrypoints/sizing';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../defaults.js';
import type { HeraldJwtProps } from '../herald-jwt-props.js';
import { type HandlerName, lambdaEnvironments } from '../lambda-environment.js';
import type { HeraldMessaging } from './messaging.js';
import { grantTableActions, type HeraldTables } from './tables.js';

interface HeraldFunctionsProps {
  /** How the authorizer verifies client tokens; exactly one key source. */
  readonly jwt: HeraldJwtProps;
  readonly tables: HeraldTables;
  readonly messaging: HeraldMessaging;
  /** The `@connections` endpoint the notifications handler posts to. */
  readonly managementEndpoint: string;
  /** Shards a broadcast is split into. @default what `broadcastSizing` gives */
  readonly broadcastShards?: number;
  /** The broadcast the notifications function is sized for. @default DEFAULTS.broadcastSizing */
  readonly broadcastSizing?: BroadcastSizingInput;
  /** Retention of every function's log group. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * The prebuilt bundle of one handler, `dist/lambda/{name}/index.mjs` in this
 * package (copied there from @herald/lambda-entrypoints by the build), found
 * relative to this file: `src/parts/` and `dist/parts/` are both two levels
 * below the package root. Nothing is bundled at synth time, so a user's app
 * needs neither esbuild nor Docker.
 */
const bundleDirectory = (entry: string): string => {
  const directory = fileURLToPath(new URL(`../../dist/lambda/${entry}/`, import.meta.url));
  if (!existsSync(`${directory}index.mjs`)) {
    throw new Error(
      `Herald's Lambda bundle "${entry}" is missing at ${directory}: build @herald/infra-cdk first (pnpm --filter @herald/infra-cdk build)`,
    );
  }
  return directory;
};

/**
 * Herald's seven Lambda handlers, deployed as assets from the bundles this
 * package ships prebuilt. Each has its own log group and its own role,
 * allowed only what that handler does: its table actions, its event source,
 * the token secret for the authorizer. Grants on other parts' resources (the
 * stage, the topics and queues) are made by those parts.
 */
class HeraldFunctions {
  public readonly authorizer: LambdaFunction;
  public readonly connect: LambdaFunction;
  public readonly disconnect: LambdaFunction;
  public readonly actions: LambdaFunction;
  public readonly notifications: LambdaFunction;
  public readonly presence: LambdaFunction;
  public readonly presenceQuery: LambdaFunction;
  /** Every handler by name, in the order above. */
  public readonly all: Readonly<Record<HandlerName, LambdaFunction>>;

  constructor(scope: Construct, props: HeraldFunctionsProps) {
    const { jwt, tables, messaging } = props;
    const logRetention = props.logRetention ?? DEFAULTS.logRetention;
    const sized = broadcastSizing(props.broadcastSizing ?? DEFAULTS.broadcastSizing);
    const environments = lambdaEnvironments({
      connectionsTableName: tables.connectionsTable.tableName,
      presenceTableName: tables.presenceTable.tableName,
      historyTableName: tables.historyTable.tableName,
      jwt,
      outputTopicArn: messaging.outputTopic.topicArn,
      outputQueueUrl: messaging.outputQueue.queueUrl,
      notificationsQueueUrl: messaging.inputQueue.queueUrl,
      managementEndpoint: props.managementEndpoint,
      broadcastShards: props.broadcastShards ?? sized.shards,
    });
    const handler = (
      name: string,
      entry: string,
      environment: Record<string, string>,
      sizing: { readonly memorySize: number; readonly timeoutSeconds: number },
    ) => {
      // Its own role, allowed to write only to its own log group: no
      // AWSLambdaBasicExecutionRole, whose logs permission spans every group.
      const logGroup = new LogGroup(scope, `${name}Logs`, {
        retention: logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new Role(scope, `${name}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      });
      role.addToPolicy(
        new PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      return new LambdaFunction(scope, name, {
        code: Code.fromAsset(bundleDirectory(entry)),
        handler: 'index.handler',
        runtime: DEFAULTS.runtime,
        architecture: DEFAULTS.architecture,
        memorySize: sizing.memorySize,
        timeout: Duration.seconds(sizing.timeoutSeconds),
        environment,
        logGroup,
        role,
      });
    };
    const small = { memorySize: 256, timeoutSeconds: 10 };
    const medium = { memorySize: 512, timeoutSeconds: 10 };

    // ---- the WebSocket routes' handlers ----
    this.authorizer = handler('Authorizer', 'authorizer', environments.authorizer, small);
    jwt.secret?.grantRead(this.authorizer);
    jwt.secretParameter?.grantRead(this.authorizer);

    this.connect = handler('Connect', 'connect', environments.connect, small);
    grantTableActions(this.connect, tables.connectionsTable, ['PutItem', 'BatchWriteItem']);

    this.disconnect = handler('Disconnect', 'disconnect', environments.disconnect, small);
    grantTableActions(this.disconnect, tables.connectionsTable, ['DeleteItem', 'BatchWriteItem']);

    this.actions = handler('Actions', 'actions', environments.actions, medium);
    // `refresh` verifies a client's fresh token as the authorizer does.
    jwt.secret?.grantRead(this.actions);
    jwt.secretParameter?.grantRead(this.actions);
    grantTableActions(this.actions, tables.connectionsTable, [
      'GetItem',
      'UpdateItem',
      'PutItem',
      'DeleteItem',
    ]);
    // resume: a stream's head (created if it never was) and a query of its newest entries.
    grantTableActions(this.actions, tables.historyTable, ['GetItem', 'UpdateItem', 'Query']);

    // ---- notification requests, from the input queue ----
    // One record per invocation (DEFAULTS.notifications); memory and the
    // bound on concurrent invocations from the broadcast sizing model.
    this.notifications = handler('Notifications', 'notifications', environments.notifications, {
      memorySize: sized.memorySize,
      timeoutSeconds: DEFAULTS.notifications.timeoutSeconds,
    });
    this.notifications.addEventSource(
      new SqsEventSource(messaging.inputQueue, {
        batchSize: DEFAULTS.notifications.batchSize,
        maxConcurrency: sized.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    grantTableActions(
      this.notifications,
      tables.connectionsTable,
      ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'DeleteItem', 'BatchWriteItem'],
      [CONNECTIONS_USER_INDEX],
    );
    // appends (head counter, entry) and idempotency claims (put, released with a delete).
    grantTableActions(this.notifications, tables.historyTable, [
      'UpdateItem',
      'PutItem',
      'DeleteItem',
    ]);

    // ---- presence, from the connections stream ----
    this.presence = handler('Presence', 'presence', environments.presence, medium);
    this.presence.addEventSource(
      new DynamoEventSource(tables.connectionsTable, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(messaging.presenceStreamDeadLetterQueue),
      }),
    );
    Validations.of(this.presence.role as Role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams, which the stream event source needs, does not support resource-level permissions.',
    });
    grantTableActions(
      this.presence,
      tables.presenceTable,
      ['GetItem', 'PutItem', 'BatchGetItem', 'Query'],
      [PRESENCE_EXPIRY_INDEX],
    );

    // ---- GET /presence ----
    this.presenceQuery = handler(
      'PresenceQuery',
      'presence-query',
      environments.presenceQuery,
      small,
    );
    grantTableActions(this.presenceQuery, tables.presenceTable, ['BatchGetItem']);

    this.all = {
      authorizer: this.authorizer,
      connect: this.connect,
      disconnect: this.disconnect,
      actions: this.actions,
      notifications: this.notifications,
      presence: this.presence,
      presenceQuery: this.presenceQuery,
    };
  }
}

export type { HeraldFunctionsProps };
export { HeraldFunctions };
