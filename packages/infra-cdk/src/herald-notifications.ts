import type { BroadcastSizingInput } from '@herald/lambda-entrypoints/sizing';
import { CfnOutput, Lazy, type RemovalPolicy } from 'aws-cdk-lib';
import type {
  DomainName,
  HttpApi,
  IHttpRouteAuthorizer,
  WebSocketApi,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type HeraldJwtProps, requireOneKeySource } from './herald-jwt-props.js';
import { HeraldAlarms } from './parts/alarms.js';
import { HeraldDashboard } from './parts/dashboard.js';
import { HeraldFunctions } from './parts/functions.js';
import { HeraldMessaging } from './parts/messaging.js';
import { HeraldPresenceApi } from './parts/presence-api.js';
import { HeraldTables } from './parts/tables.js';
import { HeraldWebSocketApi } from './parts/web-socket-api.js';

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
  /** Shards a broadcast is split into. @default what `broadcastSizing` gives (8 by default) */
  readonly broadcastShards?: number;
  /**
   * The broadcast the stack is sized for: how many connections, and the
   * account's quota of posts per second to connections. The shards, the
   * notifications function's memory and its concurrency follow the model in
   * docs/sizing.md (`broadcastSizing`, `@herald/lambda-entrypoints/sizing`).
   * @default { expectedConnections: 1_000_000 }, at 10,000 posts/s
   */
  readonly broadcastSizing?: BroadcastSizingInput;
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
  /** The name of the CloudWatch dashboard of Herald's metrics. @default - a name CloudFormation generates */
  readonly dashboardName?: string;
}

/**
 * Herald's whole serverless stack in one construct, composed of named parts
 * (`./parts/`): the connections, presence and history tables; the input topic and
 * queue (with a dead-letter queue) and the output topic and queue; the Lambda
 * functions with least-privilege grants; the WebSocket API with its
 * authorizer and routes; the presence HTTP API; alarms; and a dashboard.
 *
 * The parts build into this construct's scope under the ids the construct
 * has always used, so logical IDs (and a deployed stack's tables) stay put.
 */
class HeraldNotifications extends Construct {
  readonly webSocketApi: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly connectionsTable: Table;
  readonly presenceTable: Table;
  /** The streams' history and claimed request ids (resume, idempotent publish). */
  readonly historyTable: Table;
  readonly inputTopic: Topic;
  readonly inputQueue: Queue;
  readonly inputDeadLetterQueue: Queue;
  readonly outputTopic: Topic;
  readonly outputQueue: Queue;
  readonly presenceApi: HttpApi;
  readonly functions: Readonly<Record<string, LambdaFunction>>;
  /** `wss://…/{stage}` (or the custom domain). */
  readonly webSocketUrl: string;
  /** The management API endpoint the handlers post to. */
  readonly managementEndpoint: string;
  /** Herald's metrics, as the handlers publish them (parts/dashboard.ts). */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: HeraldNotificationsProps) {
    super(scope, id);
    requireOneKeySource(props.jwt);
    const { logRetention } = props;

    const tables = new HeraldTables(this, {
      removalPolicy: props.removalPolicy,
      pointInTimeRecovery: props.pointInTimeRecovery,
    });
    const messaging = new HeraldMessaging(this, {
      fifo: props.fifo,
      maxReceiveCount: props.maxReceiveCount,
    });
    const functions = new HeraldFunctions(this, {
      jwt: props.jwt,
      tables,
      messaging,
      // The notifications handler posts through the stage that routes to the
      // other handlers, so its endpoint is known once that stage is built.
      managementEndpoint: Lazy.string({ produce: (): string => webSocket.managementEndpoint }),
      broadcastShards: props.broadcastShards,
      ...(props.broadcastSizing === undefined ? {} : { broadcastSizing: props.broadcastSizing }),
      logRetention,
    });
    const webSocket: HeraldWebSocketApi = new HeraldWebSocketApi(this, {
      authorizer: functions.authorizer,
      connect: functions.connect,
      disconnect: functions.disconnect,
      actions: functions.actions,
      stageName: props.stageName,
      throttle: props.throttle,
      domain: props.domain,
      authorizerIdentitySource: props.authorizerIdentitySource,
      logRetention,
    });
    const presenceApi = new HeraldPresenceApi(this, {
      presenceQuery: functions.presenceQuery,
      authorizer: props.presenceAuthorizer,
      logRetention,
    });

    // ---- who may post to clients, and who may send to the topics and queues ----
    webSocket.grantPostToConnections(functions.actions);
    webSocket.grantPostToConnections(functions.notifications);
    messaging.grantSendInput(functions.notifications);
    messaging.grantSendOutput(functions.actions);
    messaging.grantSendOutput(functions.presence);

    new HeraldAlarms(this, {
      deadLetterQueues: messaging.deadLetterQueues,
      functions: functions.all,
      alarmTopic: props.alarmTopic,
    });
    this.dashboard = new HeraldDashboard(this, { dashboardName: props.dashboardName }).dashboard;

    this.connectionsTable = tables.connectionsTable;
    this.presenceTable = tables.presenceTable;
    this.historyTable = tables.historyTable;
    this.inputTopic = messaging.inputTopic;
    this.inputQueue = messaging.inputQueue;
    this.inputDeadLetterQueue = messaging.inputDeadLetterQueue;
    this.outputTopic = messaging.outputTopic;
    this.outputQueue = messaging.outputQueue;
    this.functions = functions.all;
    this.webSocketApi = webSocket.webSocketApi;
    this.stage = webSocket.stage;
    this.webSocketUrl = webSocket.webSocketUrl;
    this.managementEndpoint = webSocket.managementEndpoint;
    this.presenceApi = presenceApi.presenceApi;

    // ---- outputs ----
    const outputs: readonly [id: string, value: string, description: string][] = [
      ['WebSocketUrl', this.webSocketUrl, 'Clients connect here'],
      ['ManagementEndpoint', this.managementEndpoint, 'The @connections API'],
      ['InputTopicArn', this.inputTopic.topicArn, 'Backends publish notification requests here'],
      ['InputQueueUrl', this.inputQueue.queueUrl, 'Or send them here'],
      ['OutputTopicArn', this.outputTopic.topicArn, 'Client publish messages and presence events'],
      ['OutputQueueUrl', this.outputQueue.queueUrl, 'Client send messages'],
      ['PresenceApiUrl', presenceApi.presenceUrl, 'GET ?userIds=a,b (IAM-signed by default)'],
    ];
    for (const [outputId, value, description] of outputs) {
      new CfnOutput(this, outputId, { value, description });
    }
  }
}

export type { HeraldJwtProps, HeraldNotificationsProps };
export { HeraldNotifications };
