import type { Logger } from '@aws-lambda-powertools/logger';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClientOptions } from '@herald/adapters-aws/sqs';
import { ConfigurationError } from '@herald/domain';
import type { ServerConfig } from './config.js';
import { generateDevCredentials, signDevToken } from './dev-credentials.js';
import { createLambdaEmulation } from './lambda-emulation.js';
import { lambdaHandlers } from './lambda-mode.js';

/**
 * `herald --lambda`: Herald's Lambda handlers behind a local API Gateway, on
 * the tables and queues the environment names (DynamoDB Local and fauxqs, or
 * real AWS). Configuration is the Lambda functions' own HERALD_* variables.
 */
const startLambdaMode = async (config: ServerConfig, logger: Logger) => {
  const table = config.connectionsTable;
  const queueUrl = process.env.HERALD_NOTIFICATIONS_QUEUE_URL;
  if (table === undefined || config.presenceTable === undefined) {
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
  const development = [config.jwtSecret, config.jwtPublicKey, config.jwksUrl, config.x509Url].every(
    (s) => s === undefined,
  );
  const dev = generateDevCredentials();
  const env = development ? { ...process.env, HERALD_JWT_SECRET: dev.jwtSecret } : process.env;
  const emulation = createLambdaEmulation({
    host: config.host,
    port: config.port,
    stage: config.stage,
    handlers: ({ managementEndpoint }) => lambdaHandlers(env, managementEndpoint),
    notificationsQueue: { client: new SQSClient(sqsClientOptions()), queueUrl },
    connectionsStream: {
      // DynamoDB Local serves streams on its own endpoint, which the Streams
      // client would not otherwise find (it reads AWS_ENDPOINT_URL_DYNAMODB_STREAMS).
      client: new DynamoDBStreamsClient(
        process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS === undefined &&
          process.env.AWS_ENDPOINT_URL_DYNAMODB !== undefined
          ? { endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB }
          : {},
      ),
      streamArn,
    },
    onError: (where, error) => logger.error('emulated invocation failed', { where, error }),
  });
  const address = await emulation.start();
  const lines = [
    `Herald's Lambda handlers are behind a local API Gateway at ${address.wsUrl}`,
    `State: DynamoDB tables ${table} and ${config.presenceTable}. Notification requests: ${queueUrl}.`,
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
  process.stdout.write(`${lines.join('\n')}\n`);
  return emulation;
};

export { startLambdaMode };
