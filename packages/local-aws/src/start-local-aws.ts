import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClientOptions } from '@herald/adapters-aws/sqs';
import { ConfigurationError } from '@herald/domain';
import { loadConfig as loadLambdaConfig } from '@herald/lambda-entrypoints';
import { generateDevCredentials, signDevToken } from '@herald/server';
import { createLambdaEmulation } from './lambda-emulation.js';
import { lambdaHandlers } from './lambda-handlers.js';
import type { LocalAwsSettings } from './settings.js';

interface StartOptions {
  readonly settings: LocalAwsSettings;
  /** The Lambda functions' HERALD_* variables and the SDK's AWS_* ones. */
  readonly env: NodeJS.ProcessEnv;
  readonly onError: (where: string, error: unknown) => void;
}

/**
 * Herald's Lambda handlers behind a local API Gateway, on the tables and
 * queue the environment names (DynamoDB Local and fauxqs, or real AWS).
 * Resolves once it listens, with the emulation and the lines to print.
 */
const startLocalAws = async ({ settings, env, onError }: StartOptions) => {
  const config = loadLambdaConfig(env);
  const table = config.HERALD_CONNECTIONS_TABLE;
  const queueUrl = config.HERALD_NOTIFICATIONS_QUEUE_URL;
  if (table === undefined || config.HERALD_PRESENCE_TABLE === undefined) {
    throw new ConfigurationError(
      'HERALD_CONNECTIONS_TABLE / HERALD_PRESENCE_TABLE',
      'the Lambda handlers keep state in DynamoDB: set both',
    );
  }
  if (queueUrl === undefined) {
    throw new ConfigurationError(
      'HERALD_NOTIFICATIONS_QUEUE_URL',
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
      'HERALD_CONNECTIONS_TABLE',
      `table ${table} could not be described: ${(error as Error).message}`,
    );
  }
  if (streamArn === undefined) {
    throw new ConfigurationError(
      'HERALD_CONNECTIONS_TABLE',
      `table ${table} has no stream; create it from connectionsTableDefinition()`,
    );
  }
  const development = [
    config.HERALD_JWT_SECRET,
    config.HERALD_JWT_SECRET_ARN,
    config.HERALD_JWT_SECRET_PARAMETER,
    config.HERALD_JWKS_URL,
    config.HERALD_X509_URL,
  ].every((source) => source === undefined);
  const dev = generateDevCredentials();
  const handlerEnv = development ? { ...env, HERALD_JWT_SECRET: dev.jwtSecret } : env;
  const emulation = createLambdaEmulation({
    host: settings.host,
    port: settings.port,
    stage: settings.stage,
    handlers: ({ managementEndpoint }) => lambdaHandlers(handlerEnv, managementEndpoint),
    notificationsQueue: { client: new SQSClient(sqsClientOptions()), queueUrl },
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
  });
  const address = await emulation.start();
  const lines = [
    `Herald's Lambda handlers are behind a local API Gateway at ${address.wsUrl}`,
    `State: DynamoDB tables ${table} and ${config.HERALD_PRESENCE_TABLE}. Notification requests: ${queueUrl}.`,
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
  return { emulation, banner: lines.join('\n') };
};

export type { StartOptions };
export { startLocalAws };
