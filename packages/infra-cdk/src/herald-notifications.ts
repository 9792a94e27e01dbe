import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  CONNECTIONS_USER_INDEX,
  connectionsTableDefinition,
  PRESENCE_EXPIRY_INDEX,
  presenceTableDefinition,
  TTL_ATTRIBUTE,
} from '@herald/adapters-aws/dynamodb';
import {
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type DomainName,
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
  WebSocketApi,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpIamAuthorizer,
  WebSocketLambdaAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import {
  HttpLambdaIntegration,
  WebSocketLambdaIntegration,
} from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Architecture, type IFunction, Runtime, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { tableFromDefinition } from './table-from-definition.js';

/** How client tokens are verified. Exactly one key source. */
interface HeraldJwtProps {
  /** An HMAC secret in Secrets Manager; read by the authorizer at first use. @default - none */
  readonly secret?: ISecret;
  /** An HMAC secret in an SSM SecureString parameter. @default - none */
  readonly secretParameter?: IStringParameter;
  /** HTTPS URL of a JWKS. @default - none */
  readonly jwksUrl?: string;
  /** HTTPS URL of an x509 certificate map `{kid: PEM}` (Firebase/Google securetoken). @default - none */
  readonly x509Url?: string;
  /** @default - HS256 for a secret, RS256 for a JWKS or certificate map */
  readonly algorithms?: readonly string[];
  /** Required `iss`. @default - any issuer */
  readonly issuer?: string;
  /** Accepted `aud` values. @default - any audience */
  readonly audiences?: readonly string[];
  /** @default 'sub' */
  readonly userIdClaim?: string;
  /** @default 'channels' */
  readonly channelsClaim?: string;
}

interface HeraldNotificationsProps {
  readonly jwt: HeraldJwtProps;
  /** WebSocket stage name. @default 'prod' */
  readonly stageName?: string;
  /** Stage throttling. @default { rateLimit: 500, burstLimit: 1000 } */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** A custom domain for the WebSocket API, and its mapping key (base path). @default - the execute-api URL */
  readonly domain?: { readonly domainName: DomainName; readonly mappingKey?: string };
  /** FIFO input queue and topic, for ordered delivery per message group. @default false */
  readonly fifo?: boolean;
  /** Receives before a notification request goes to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** Shards a broadcast is split into. @default 8 */
  readonly broadcastShards?: number;
  /** Point-in-time recovery on both tables. @default true */
  readonly pointInTimeRecovery?: boolean;
  /** What happens to the tables when the stack goes. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Log retention of every function and access log. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * What API Gateway must find on a `$connect` before it calls the authorizer
   * (all of them, or it answers 401 itself). Browsers can always send a query
   * string; use `['route.request.header.Authorization']` for clients that send
   * the header instead.
   * @default ['route.request.querystring.authorization']
   */
  readonly authorizerIdentitySource?: readonly string[];
  /** Who may call `GET /presence`. @default HttpIamAuthorizer (SigV4-signed IAM principals) */
  readonly presenceAuthorizer?: IHttpRouteAuthorizer;
  /** Where alarms notify. @default - alarms without actions */
  readonly alarmTopic?: ITopic;
}

/** Secure defaults, kept together. */
const DEFAULTS = {
  stageName: 'prod',
  throttle: { rateLimit: 500, burstLimit: 1000 },
  maxReceiveCount: 5,
  broadcastShards: 8,
  pointInTimeRecovery: true,
  removalPolicy: RemovalPolicy.RETAIN,
  logRetention: RetentionDays.ONE_MONTH,
  runtime: Runtime.NODEJS_24_X,
  architecture: Architecture.ARM_64,
  authorizerIdentitySource: ['route.request.querystring.authorization'],
} as const;

const ROUTES = ['ping', 'send', 'publish', 'subscribe', 'unsubscribe'] as const;

/** The Lambda entry files, as @herald/lambda-entrypoints ships them. */
const entriesPackage = dirname(
  createRequire(import.meta.url).resolve('@herald/lambda-entrypoints/package.json'),
);
const repositoryRoot = join(entriesPackage, '..', '..');

/** Access log fields: enough to trace a request, and never the token (no query string, no headers). */
const webSocketAccessLog = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    eventType: '$context.eventType',
    connectionId: '$context.connectionId',
    status: '$context.status',
    integrationError: '$context.integrationErrorMessage',
    authorizeError: '$context.authorizer.error',
  }),
);
const httpAccessLog = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    caller: '$context.identity.caller',
  }),
);

/**
 * Herald's whole serverless stack in one construct: the WebSocket API with
 * its authorizer and routes, the connections and presence tables, the input
 * topic and queue (with a dead-letter queue), the output topic and queue, the
 * Lambda functions with least-privilege grants, the presence HTTP API, and
 * alarms.
 */
class HeraldNotifications extends Construct {
  readonly webSocketApi: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly connectionsTable: Table;
  readonly presenceTable: Table;
  readonly inputTopic: Topic;
  readonly inputQueue: Queue;
  readonly inputDeadLetterQueue: Queue;
  readonly outputTopic: Topic;
  readonly outputQueue: Queue;
  readonly presenceApi: HttpApi;
  readonly functions: Readonly<Record<string, NodejsFunction>>;
  /** `wss://…/{stage}` (or the custom domain). */
  readonly webSocketUrl: string;
  /** The management API endpoint the handlers post to. */
  readonly managementEndpoint: string;

  constructor(scope: Construct, id: string, props: HeraldNotificationsProps) {
    super(scope, id);
    const jwt = props.jwt;
    const keySources = [jwt.secret, jwt.secretParameter, jwt.jwksUrl, jwt.x509Url].filter(
      (k) => k !== undefined,
    );
    if (keySources.length !== 1) {
      throw new Error(
        'HeraldNotifications: give exactly one of jwt.secret, jwt.secretParameter, jwt.jwksUrl, jwt.x509Url',
      );
    }
    const stageName = props.stageName ?? DEFAULTS.stageName;
    const logRetention = props.logRetention ?? DEFAULTS.logRetention;
    const fifo = props.fifo ?? false;
    const tableOptions = {
      removalPolicy: props.removalPolicy ?? DEFAULTS.removalPolicy,
      pointInTimeRecovery: props.pointInTimeRecovery ?? DEFAULTS.pointInTimeRecovery,
    };

    // ---- state ------------------------------------------------------------
    this.connectionsTable = tableFromDefinition(
      this,
      'ConnectionsTable',
      connectionsTableDefinition('herald-connections'),
      {
        ...tableOptions,
        timeToLiveAttribute: TTL_ATTRIBUTE,
      },
    );
    this.presenceTable = tableFromDefinition(
      this,
      'PresenceTable',
      presenceTableDefinition('herald-presence'),
      tableOptions,
    );

    // ---- messaging ----------------------------------------------------------
    const snsKey = Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns');
    const queue = (queueId: string, options: { fifo?: boolean; deadLetterQueue?: Queue } = {}) =>
      new Queue(this, queueId, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        ...(options.fifo ? { fifo: true, contentBasedDeduplication: false } : {}),
        ...(options.deadLetterQueue
          ? {
              deadLetterQueue: {
                queue: options.deadLetterQueue,
                maxReceiveCount: props.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
              },
            }
          : {}),
        visibilityTimeout: Duration.seconds(60),
      });
    this.inputDeadLetterQueue = queue('InputDeadLetterQueue', { fifo });
    this.inputQueue = queue('InputQueue', { fifo, deadLetterQueue: this.inputDeadLetterQueue });
    this.inputTopic = new Topic(this, 'InputTopic', {
      masterKey: snsKey,
      enforceSSL: true,
      ...(fifo ? { fifo: true } : {}),
    });
    this.inputTopic.addSubscription(new SqsSubscription(this.inputQueue));
    const outputDeadLetterQueue = queue('OutputDeadLetterQueue');
    this.outputQueue = queue('OutputQueue', { deadLetterQueue: outputDeadLetterQueue });
    this.outputTopic = new Topic(this, 'OutputTopic', { masterKey: snsKey, enforceSSL: true });
    const streamDeadLetterQueue = queue('PresenceStreamDeadLetterQueue');

    // ---- functions ----------------------------------------------------------
    const common = {
      HERALD_CONNECTIONS_TABLE: this.connectionsTable.tableName,
      HERALD_PRESENCE_TABLE: this.presenceTable.tableName,
      POWERTOOLS_SERVICE_NAME: 'herald',
      NODE_OPTIONS: '--enable-source-maps',
    };
    const fn = (
      name: string,
      entry: string,
      environment: Record<string, string>,
      memorySize = 512,
    ) => {
      // Its own role, allowed to write only to its own log group: no
      // AWSLambdaBasicExecutionRole, whose logs permission spans every group.
      const logGroup = new LogGroup(this, `${name}Logs`, {
        retention: logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new Role(this, `${name}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      });
      role.addToPolicy(
        new PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      return new NodejsFunction(this, name, {
        entry: join(entriesPackage, 'src', 'entries', `${entry}.ts`),
        handler: 'handler',
        runtime: DEFAULTS.runtime,
        architecture: DEFAULTS.architecture,
        memorySize,
        timeout: Duration.seconds(entry === 'notifications' ? 60 : 10),
        environment: { ...common, ...environment },
        logGroup,
        role,
        projectRoot: repositoryRoot,
        depsLockFilePath: join(repositoryRoot, 'pnpm-lock.yaml'),
        bundling: {
          format: OutputFormat.ESM,
          target: 'node24',
          minify: true,
          sourceMap: true,
          mainFields: ['module', 'main'],
          externalModules: [],
          forceDockerBundling: false,
          esbuildArgs: { '--conditions': '@herald/source' },
          banner:
            "import { createRequire as __herald_createRequire } from 'node:module'; const require = __herald_createRequire(import.meta.url);",
        },
      });
    };
    const jwtEnvironment: Record<string, string> = {
      ...(jwt.secret ? { HERALD_JWT_SECRET_ARN: jwt.secret.secretArn } : {}),
      ...(jwt.secretParameter
        ? { HERALD_JWT_SECRET_PARAMETER: jwt.secretParameter.parameterName }
        : {}),
      ...(jwt.jwksUrl ? { HERALD_JWKS_URL: jwt.jwksUrl } : {}),
      ...(jwt.x509Url ? { HERALD_X509_URL: jwt.x509Url } : {}),
      ...(jwt.algorithms ? { HERALD_JWT_ALGORITHMS: jwt.algorithms.join(',') } : {}),
      ...(jwt.issuer ? { HERALD_JWT_ISSUER: jwt.issuer } : {}),
      ...(jwt.audiences ? { HERALD_JWT_AUDIENCE: jwt.audiences.join(',') } : {}),
      ...(jwt.userIdClaim ? { HERALD_USER_ID_CLAIM: jwt.userIdClaim } : {}),
      ...(jwt.channelsClaim ? { HERALD_CHANNELS_CLAIM: jwt.channelsClaim } : {}),
    };
    const outputs = {
      HERALD_OUTPUT_TOPIC_ARN: this.outputTopic.topicArn,
      HERALD_OUTPUT_QUEUE_URL: this.outputQueue.queueUrl,
    };

    const authorizer = fn('Authorizer', 'authorizer', jwtEnvironment, 256);
    const connect = fn('Connect', 'connect', {}, 256);
    const disconnect = fn('Disconnect', 'disconnect', {}, 256);
    const actions = fn('Actions', 'actions', outputs);
    const presence = fn('Presence', 'presence', outputs);
    const presenceQuery = fn('PresenceQuery', 'presence-query', outputs, 256);

    // ---- WebSocket API ------------------------------------------------------
    this.webSocketApi = new WebSocketApi(this, 'WebSocketApi', {
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', connect),
        authorizer: new WebSocketLambdaAuthorizer('Authorizer', authorizer, {
          // API Gateway refuses a $connect without this before calling the
          // authorizer; browsers can always send a query string.
          identitySource: [
            ...(props.authorizerIdentitySource ?? DEFAULTS.authorizerIdentitySource),
          ],
        }),
      },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('DisconnectIntegration', disconnect),
      },
      defaultRouteOptions: {
        integration: new WebSocketLambdaIntegration('DefaultRouteIntegration', actions),
      },
    });
    for (const route of ROUTES) {
      this.webSocketApi.addRoute(route, {
        integration: new WebSocketLambdaIntegration(`${route}RouteIntegration`, actions),
      });
    }
    const accessLogs = new LogGroup(this, 'WebSocketAccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.webSocketApi,
      stageName,
      autoDeploy: true,
      throttle: props.throttle ?? DEFAULTS.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: webSocketAccessLog,
      },
      ...(props.domain
        ? {
            domainMapping: {
              domainName: props.domain.domainName,
              ...(props.domain.mappingKey ? { mappingKey: props.domain.mappingKey } : {}),
            },
          }
        : {}),
    });
    this.webSocketUrl = props.domain
      ? `wss://${props.domain.domainName.name}/${props.domain.mappingKey ?? ''}`
      : this.stage.url;
    this.managementEndpoint = props.domain
      ? `https://${props.domain.domainName.name}/${props.domain.mappingKey ?? ''}`
      : this.stage.callbackUrl;

    const notifications = fn(
      'Notifications',
      'notifications',
      {
        HERALD_MANAGEMENT_ENDPOINT: this.managementEndpoint,
        HERALD_NOTIFICATIONS_QUEUE_URL: this.inputQueue.queueUrl,
        HERALD_BROADCAST_SHARDS: String(props.broadcastShards ?? DEFAULTS.broadcastShards),
      },
      1024,
    );

    // ---- event sources --------------------------------------------------------
    notifications.addEventSource(
      new SqsEventSource(this.inputQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    presence.addEventSource(
      new DynamoEventSource(this.connectionsTable, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(streamDeadLetterQueue),
      }),
    );

    // ---- least-privilege grants ------------------------------------------------
    jwt.secret?.grantRead(authorizer);
    jwt.secretParameter?.grantRead(authorizer);
    /** Only these actions, on the table and the named indexes: no `index/*`. */
    const grantTable = (
      grantee: NodejsFunction,
      table: Table,
      actions: string[],
      indexes: string[] = [],
    ) =>
      grantee.addToRolePolicy(
        new PolicyStatement({
          actions: actions.map((action) => `dynamodb:${action}`),
          resources: [
            table.tableArn,
            ...indexes.map((index) => `${table.tableArn}/index/${index}`),
          ],
        }),
      );
    grantTable(connect, this.connectionsTable, ['PutItem', 'BatchWriteItem']);
    grantTable(disconnect, this.connectionsTable, ['DeleteItem', 'BatchWriteItem']);
    grantTable(actions, this.connectionsTable, ['GetItem', 'UpdateItem', 'PutItem', 'DeleteItem']);
    grantTable(
      notifications,
      this.connectionsTable,
      ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'DeleteItem', 'BatchWriteItem'],
      [CONNECTIONS_USER_INDEX],
    );
    grantTable(
      presence,
      this.presenceTable,
      ['GetItem', 'PutItem', 'BatchGetItem', 'Query'],
      [PRESENCE_EXPIRY_INDEX],
    );
    grantTable(presenceQuery, this.presenceTable, ['BatchGetItem']);
    this.stage.grantManagementApiAccess(actions);
    this.stage.grantManagementApiAccess(notifications);
    this.inputQueue.grantSendMessages(notifications);
    for (const publisher of [actions, presence]) {
      this.outputTopic.grantPublish(publisher);
      this.outputQueue.grantSendMessages(publisher);
    }

    // ---- presence HTTP API -----------------------------------------------------
    this.presenceApi = new HttpApi(this, 'PresenceApi', { createDefaultStage: false });
    this.presenceApi.addRoutes({
      path: '/presence',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('PresenceQuery', presenceQuery),
      authorizer: props.presenceAuthorizer ?? new HttpIamAuthorizer(),
    });
    const presenceLogs = new LogGroup(this, 'PresenceApiAccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const presenceStage = new HttpStage(this, 'PresenceApiStage', {
      httpApi: this.presenceApi,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(presenceLogs),
        format: httpAccessLog,
      },
    });

    this.functions = {
      authorizer,
      connect,
      disconnect,
      actions,
      notifications,
      presence,
      presenceQuery,
    };

    // ---- acknowledged findings, each with its reason ----------------------------------
    const apiLogicalId = Stack.of(this).getLogicalId(
      this.webSocketApi.node.defaultChild as CfnElement,
    );
    const roleOf = (handler: NodejsFunction) => handler.role as Role;
    for (const sender of [actions, notifications]) {
      Validations.of(roleOf(sender)).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiLogicalId}>/${stageName}/*/@connections/*]`,
        reason:
          'Posting to clients needs every connection of this stage: connection ids are only known at run time.',
      });
    }
    Validations.of(roleOf(presence)).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams, which the stream event source needs, does not support resource-level permissions.',
    });
    Validations.of(this.webSocketApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'A WebSocket API authorizes once, on $connect (the Lambda authorizer); every later route runs inside that authorized connection.',
    });
    Validations.of(streamDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "It is the connections stream's on-failure destination: a dead-letter queue itself.",
    });

    // ---- alarms ------------------------------------------------------------------
    const alarm = (alarmId: string, metric: IMetric, description: string) => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: description,
      });
      if (props.alarmTopic) created.addAlarmAction(new SnsAction(props.alarmTopic));
    };
    alarm(
      'InputDeadLetterQueueAlarm',
      this.inputDeadLetterQueue.metricApproximateNumberOfMessagesVisible(),
      'Notification requests reached the dead-letter queue',
    );
    alarm(
      'OutputDeadLetterQueueAlarm',
      outputDeadLetterQueue.metricApproximateNumberOfMessagesVisible(),
      'Output messages reached the dead-letter queue',
    );
    alarm(
      'PresenceStreamDeadLetterQueueAlarm',
      streamDeadLetterQueue.metricApproximateNumberOfMessagesVisible(),
      'Presence stream records were given up',
    );
    for (const [name, handler] of Object.entries(this.functions) as [string, IFunction][]) {
      alarm(`${name}ErrorsAlarm`, handler.metricErrors(), `The ${name} handler failed`);
      alarm(
        `${name}ThrottlesAlarm`,
        handler.metricThrottles(),
        `The ${name} handler was throttled`,
      );
    }

    // ---- outputs ------------------------------------------------------------------
    new CfnOutput(this, 'WebSocketUrl', {
      value: this.webSocketUrl,
      description: 'Clients connect here',
    });
    new CfnOutput(this, 'ManagementEndpoint', {
      value: this.managementEndpoint,
      description: 'The @connections API',
    });
    new CfnOutput(this, 'InputTopicArn', {
      value: this.inputTopic.topicArn,
      description: 'Backends publish notification requests here',
    });
    new CfnOutput(this, 'InputQueueUrl', {
      value: this.inputQueue.queueUrl,
      description: 'Or send them here',
    });
    new CfnOutput(this, 'OutputTopicArn', {
      value: this.outputTopic.topicArn,
      description: 'Client publish messages and presence events',
    });
    new CfnOutput(this, 'OutputQueueUrl', {
      value: this.outputQueue.queueUrl,
      description: 'Client send messages',
    });
    new CfnOutput(this, 'PresenceApiUrl', {
      value: `${presenceStage.url}presence`,
      description: 'GET ?userIds=a,b (IAM-signed by default)',
    });
  }
}

export type { HeraldJwtProps, HeraldNotificationsProps };
export { HeraldNotifications };
