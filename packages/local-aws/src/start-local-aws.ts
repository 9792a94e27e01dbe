import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClientOptions } from '@herald/adapters-aws/sqs';
import { keySourceChoice } from '@herald/adapters-aws/wiring/keys';
import { ConfigurationError } from '@herald/domain';
import { createPrometheusMetrics, generateDevCredentials, signDevToken } from '@herald/server';
import type { SocketErrorLog } from '@herald/server/host';
import { type Environment, environmentOf, SETTINGS } from '@herald/settings';
import { createLambdaEmulation } from './lambda-emulation.js';
import { lambdaHandlers } from './lambda-handlers.js';
import type { LocalAwsSettings } from './settings.js';

interface StartOptions {
  readonly settings: LocalAwsSettings;
  /** The Lambda functions' HERALD_* variables (flags included) and the SDK's AWS_* ones. */
  readonly env: Environment;
  readonly onError: (where: string, error: unknown) => void;
  /** Where client socket errors are logged (see LambdaEmulationOptions.log). */
  readonly log?: SocketErrorLog;
  /**
   * Serve `POST /notifications` (into the notifications queue) and `GET
   * /presence` to backends presenting this key. @default no backend routes
   */
  readonly backendKey?: string;
  /** A queue subscribed to the input topic without raw delivery: its messages go to the topic subscriber. */
  readonly inputTopicQueueUrl?: string;
}

/**
 * Herald's Lambda handlers behind a local API Gateway, on the tables and
 * queue the environment names (DynamoDB Local and fauxqs, or real AWS).
 * Resolves once it listens, with the emulation and the lines to print.
 */
const startLocalAws = async ({
  settings,
  env,
  onError,
  log,
  backendKey,
  inputTopicQueueUrl,
}: StartOptions) => {
  const table = settings.connectionsTable;
  const queueUrl = settings.notificationsQueueUrl;
  if (table === undefined || settings.presenceTable === undefined) {
    throw new ConfigurationError(
      `${SETTINGS.connectionsTable.env} / ${SETTINGS.presenceTable.env}`,
      'the Lambda handlers keep state in DynamoDB: set both',
    );
  }
  if (queueUrl === undefined) {
    throw new ConfigurationError(
      SETTINGS.notificationsQueueUrl.env,
      "the notifications queue is the handlers' input: set it",
    );
  }
  let streamArn: string | undefined;
  try {
    const described = await new DynamoDBClient({}).send(
      new DescribeTableCommand({ TableName: table }),
    );
    streamArn = described.Table?.LatestStreamArn;
  } catch (error) {
    throw new ConfigurationError(
      SETTINGS.connectionsTable.env,
      `table ${table} could not be described: ${(error as Error).message}`,
    );
  }
  if (streamArn === undefined) {
    throw new ConfigurationError(
      SETTINGS.connectionsTable.env,
      `table ${table} has no stream; create it from connectionsTableDefinition()`,
    );
  }
  const development = keySourceChoice(settings) === undefined;
  const dev = generateDevCredentials();
  const handlerEnv = development ? { ...env, ...environmentOf({ jwtSecret: dev.jwtSecret }) } : env;
  const sqs = new SQSClient(sqsClientOptions());
  // With the backends' routes, the handlers' metrics are served on GET /metrics.
  const metrics = backendKey === undefined ? undefined : createPrometheusMetrics();
  const recorder = metrics && { ...metrics.recorder, publish: async () => undefined };
  const emulation = createLambdaEmulation({
    host: settings.host,
    port: settings.port,
    stage: settings.stage,
    handlers: ({ managementEndpoint }) => lambdaHandlers(handlerEnv, managementEndpoint, recorder),
    notificationsQueue: { client: sqs, queueUrl },
    ...(inputTopicQueueUrl === undefined
      ? {}
      : { notificationsTopic: { client: sqs, queueUrl: inputTopicQueueUrl } }),
    ...(backendKey === undefined
      ? {}
      : {
          backendApi: {
            backendKey,
            notificationsQueue: { client: sqs, queueUrl },
            ...(metrics === undefined ? {} : { metrics }),
          },
        }),
    connectionsStream: {
      // DynamoDB Local serves streams on its own endpoint, which the Streams
      // client would not otherwise find (it reads AWS_ENDPOINT_URL_DYNAMODB_STREAMS).
      client: new DynamoDBStreamsClient(
        env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS === undefined &&
          env.AWS_ENDPOINT_URL_DYNAMODB !== undefined
          ? { endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }
          : {},
      ),
      streamArn,
    },
    onError,
    ...(log === undefined ? {} : { log }),
  });
  const address = await emulation.start();
  const lines = [
    `Herald's Lambda handlers are behind a local API Gateway at ${address.wsUrl}`,
    `State: DynamoDB tables ${table} and ${settings.presenceTable}. Notification requests: ${queueUrl}.`,
  ];
  if (development) {
    const token = await signDevToken(dev.jwtSecret);
    lines.push(
      '',
      `Token for user "dev-user" (all channels, 12 h):\n  ${token}`,
      '',
      'Connect:',
      `  npx wscat -c "${address.wsUrl}?authorization=${token}"`,
    );
  }
  if (backendKey !== undefined) {
    lines.push(
      '',
      `Backend key (POST /notifications, GET /presence):\n  ${backendKey}`,
      'Notify dev-user (from another terminal; the request goes to the notifications queue):',
      `  curl -sS -X POST ${address.url}/notifications -H "Authorization: Bearer ${backendKey}" \\`,
      `    -H "Content-Type: application/json" -d '{"users":["dev-user"],"data":{"message":"hello from Herald"}}'`,
      'Who is online:',
      `  curl -sS "${address.url}/presence?userIds=dev-user" -H "Authorization: Bearer ${backendKey}"`,
      'Metrics (Prometheus text format):',
      `  curl -sS ${address.url}/metrics -H "Authorization: Bearer ${backendKey}"`,
    );
  }
  return { emulation, address, banner: lines.join('\n') };
};

export type { StartOptions };
export { startLocalAws };
