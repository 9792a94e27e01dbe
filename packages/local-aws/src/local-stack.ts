import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  createHistoryTable,
  createQueue,
  createTables,
  createTopicWithQueue,
  type Emulators,
  emulatorEnvironment,
  startEmulators,
} from '@herald/adapters-aws/emulators';
import { sqsClientOptions } from '@herald/adapters-aws/sqs';
import { generateDevCredentials } from '@herald/server';
import type { SocketErrorLog } from '@herald/server/host';
import { type Environment, environmentOf, helpText as settingsHelp } from '@herald/settings';
import { loadLocalAwsConfig } from './settings.js';
import { startLocalAws } from './start-local-aws.js';

/** The names the local stack gives what it creates; the emulators are fresh each run. */
const NAMES = {
  connectionsTable: 'herald-connections',
  presenceTable: 'herald-presence',
  notificationsQueue: 'herald-notifications',
  notificationsDeadLetterQueue: 'herald-notifications-dlq',
  inputTopic: 'herald-input',
  inputTopicQueue: 'herald-input-subscription',
  outputTopic: 'herald-output',
  outputTopicQueue: 'herald-output-events',
  outputQueue: 'herald-output-queue',
} as const;

/** Receives before a request goes to the dead-letter queue, as the construct sets it. */
const MAX_RECEIVE_COUNT = 5;

const devHelpText = (): string =>
  [
    settingsHelp('local-aws', {
      usage: 'herald-local-aws dev [options]',
      intro: [
        "Herald's serverless stack on this machine, in one command. It starts DynamoDB Local",
        '(Java 17+) and fauxqs (SNS/SQS, on 127.0.0.1) on free ports; creates the tables, queues',
        'and topics the CDK construct deploys; runs the Lambda handlers behind a local API',
        'Gateway that requires the token in ?authorization=, as the deployed stack does by',
        'default; and serves the backends, with a generated backend key:',
        '  POST /notifications   the body goes to the notifications queue, as a backend sends it',
        '  GET  /presence        the presence HTTP API (?userIds=a,b)',
        'It prints the WebSocket URL, a development token, the backend key and curl lines.',
        'Ctrl-C (SIGINT) or SIGTERM stops the handlers and both emulators. The options',
        'below are those of herald-local-aws; the tables, queues and topics are its own.',
      ],
    }),
    '',
    'DynamoDB Local has no option to choose its address: it listens on a free port on',
    'every interface, keeps everything in memory, and stops with the stack.',
  ].join('\n');

interface LocalStack {
  /** What to print: the emulators, the resources, the token, the lines to copy. */
  readonly banner: string;
  /** Stops the handlers, then both emulators; resolves once DynamoDB Local's process has exited. */
  stop(): Promise<void>;
}

/**
 * Starts the whole local serverless stack: the emulators, the resources, and
 * the Lambda handlers behind the local API Gateway. The process's AWS SDK
 * variables are pointed at the emulators (the handlers' clients read them).
 * Throws JavaMissingError when Java is missing, ConfigurationError for a bad
 * setting; either way nothing is left running.
 */
const startLocalStack = async (options: {
  readonly argv: readonly string[];
  readonly env: Environment;
  readonly onError: (where: string, error: unknown) => void;
  /** Where client socket errors are logged (see LambdaEmulationOptions.log). */
  readonly log?: SocketErrorLog;
}): Promise<LocalStack> => {
  const emulators: Emulators = await startEmulators({ log: () => undefined });
  try {
    const aws = emulatorEnvironment(emulators);
    Object.assign(process.env, aws);
    const credentials = {
      accessKeyId: aws.AWS_ACCESS_KEY_ID,
      secretAccessKey: aws.AWS_SECRET_ACCESS_KEY,
    };
    const region = aws.AWS_REGION;
    const dynamo = new DynamoDBClient({
      region,
      endpoint: aws.AWS_ENDPOINT_URL_DYNAMODB,
      credentials,
    });
    const sqs = new SQSClient({
      ...sqsClientOptions(),
      region,
      endpoint: aws.AWS_ENDPOINT_URL_SQS,
      credentials,
    });
    const sns = new SNSClient({ region, endpoint: aws.AWS_ENDPOINT_URL_SNS, credentials });

    const tables = await createTables(dynamo, {
      connections: NAMES.connectionsTable,
      presence: NAMES.presenceTable,
    });
    // History, as the construct creates it: resume and idempotent publish work locally too.
    const historyTable = await createHistoryTable(dynamo);
    const deadLetters = await createQueue(sqs, { name: NAMES.notificationsDeadLetterQueue });
    const notifications = await createQueue(sqs, {
      name: NAMES.notificationsQueue,
      attributes: {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: deadLetters.arn,
          maxReceiveCount: MAX_RECEIVE_COUNT,
        }),
      },
    });
    const input = await createTopicWithQueue(sns, sqs, {
      topicName: NAMES.inputTopic,
      name: NAMES.inputTopicQueue,
      rawDelivery: false,
    });
    const output = await createTopicWithQueue(sns, sqs, {
      topicName: NAMES.outputTopic,
      name: NAMES.outputTopicQueue,
    });
    const outputQueue = await createQueue(sqs, { name: NAMES.outputQueue });

    const config = loadLocalAwsConfig(options.argv, {
      ...options.env,
      ...aws,
      ...environmentOf({
        connectionsTable: tables.connections,
        presenceTable: tables.presence,
        historyTable,
        notificationsQueueUrl: notifications.url,
        outputTopicArn: output.topicArn,
        outputQueueUrl: outputQueue.url,
      }),
    });
    if (config === 'help') throw new Error('--help is answered before the stack starts');
    const { backendKey } = generateDevCredentials();
    const started = await startLocalAws({
      settings: config.settings,
      env: config.handlerEnv,
      onError: options.onError,
      ...(options.log === undefined ? {} : { log: options.log }),
      backendKey,
      inputTopicQueueUrl: input.queue.url,
    });
    const banner = [
      started.banner,
      '',
      `History: DynamoDB table ${historyTable} (resume, idempotent publish)`,
      `Emulators: DynamoDB Local ${emulators.dynamoVersion} at ${emulators.dynamoEndpoint} (pid ${emulators.dynamoPid}), fauxqs at ${emulators.fauxqsEndpoint}`,
      `Input: topic ${input.topicArn}; queue ${notifications.url} (dead letters: ${deadLetters.url})`,
      `Output: topic ${output.topicArn} (read it on ${output.queue.url}); queue ${outputQueue.url}`,
      'SDK: AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDLOCAL AWS_SECRET_ACCESS_KEY=local-secret',
      `  AWS_ENDPOINT_URL_DYNAMODB=${emulators.dynamoEndpoint} AWS_ENDPOINT_URL_SQS=${emulators.fauxqsEndpoint} AWS_ENDPOINT_URL_SNS=${emulators.fauxqsEndpoint}`,
      '',
      'Ctrl-C stops the handlers and both emulators.',
    ].join('\n');
    return {
      banner,
      stop: async () => {
        await started.emulation.stop();
        await emulators.stop();
      },
    };
  } catch (error) {
    await emulators.stop();
    throw error;
  }
};

export type { LocalStack };
export { devHelpText, startLocalStack };
