import {
  DynamoDbConnectionStore,
  DynamoDbHistoryStore,
  DynamoDbIdempotencyStore,
  DynamoDbNodeStore,
  DynamoDbPresenceStore,
} from '@herald/adapters-aws/dynamodb';
import { SqsRequestPoller } from '@herald/adapters-aws/sqs';
import {
  dynamoDbDocumentClient,
  type StoreCallObserver,
} from '@herald/adapters-aws/wiring/dynamodb';
import { awsOutputPublisher, sqsClient } from '@herald/adapters-aws/wiring/outputs';
import {
  type Clock,
  ConfigurationError,
  type ConnectionStore,
  type EventPublisher,
  type HistoryRetention,
  type HistoryStore,
  type IdempotencyStore,
  type InboundError,
  type NodeStore,
  type PresenceStore,
} from '@herald/domain';

/** Where the embedded server keeps state and talks to backends on AWS. Every field is optional. */
interface AwsSettings {
  /** DynamoDB tables, as the serverless stack creates them; both or neither. */
  readonly connectionsTable?: string | undefined;
  readonly presenceTable?: string | undefined;
  /** The history table (streams and idempotency claims), shared by every node that shares the others. */
  readonly historyTable?: string | undefined;
  readonly historyRetention?: HistoryRetention | undefined;
  /** Client `publish` messages and presence events go here. */
  readonly outputTopicArn?: string | undefined;
  /** Client `send` messages go here (and presence, when there is no topic). */
  readonly outputQueueUrl?: string | undefined;
  /** Notification requests are polled from here. */
  readonly inputQueueUrl?: string | undefined;
  readonly maxConnectionAgeMs?: number | undefined;
  /** One DynamoDB request's deadline, and the retries after it (the wiring's defaults when absent). */
  readonly storeTimeoutMs?: number | undefined;
  readonly storeRetries?: number | undefined;
}

interface AwsAdapters {
  readonly connectionStore?: ConnectionStore;
  readonly presenceStore?: PresenceStore;
  /** Node heartbeats, in the connections table, for several nodes sharing it. */
  readonly nodeStore?: NodeStore;
  readonly historyStore?: HistoryStore;
  readonly idempotencyStore?: IdempotencyStore;
  /** Routes client messages and presence to the topic and queue, as on the serverless stack. */
  readonly output?: EventPublisher;
  readonly inputPoller?: SqsRequestPoller;
}

/**
 * The AWS adapters the settings ask for, built by the same wiring as the
 * Lambdas' (`@herald/adapters-aws/wiring/*`): one DynamoDB client for both
 * stores, the outputs routed as on the serverless stack, and one SQS client
 * shared by the output queue and the input poller. SDK clients take region,
 * credentials and endpoints the standard way (AWS_REGION, the provider chain,
 * AWS_ENDPOINT_URL_DYNAMODB / _SNS / _SQS), so the same settings work against
 * AWS and against local emulators.
 */
const awsAdapters = (
  settings: AwsSettings,
  clock: Clock,
  hooks: {
    readonly onRejected?: (messageId: string, receiveCount: number, error: unknown) => void;
    readonly onSetAside?: (messageId: string, error: InboundError) => void;
    readonly onReceiveError?: (error: unknown) => void;
    readonly onExtendError?: (error: unknown) => void;
    /** Told about every DynamoDB call: the server's backlog bound and outage log. */
    readonly storeObserver?: StoreCallObserver;
  } = {},
): AwsAdapters => {
  const { connectionsTable, presenceTable, outputTopicArn, outputQueueUrl, inputQueueUrl } =
    settings;
  if ((connectionsTable === undefined) !== (presenceTable === undefined)) {
    throw new ConfigurationError(
      'HERALD_CONNECTIONS_TABLE / HERALD_PRESENCE_TABLE',
      'set both tables, or neither (to keep state in memory)',
    );
  }
  const adapters: {
    connectionStore?: ConnectionStore;
    presenceStore?: PresenceStore;
    nodeStore?: NodeStore;
    historyStore?: HistoryStore;
    idempotencyStore?: IdempotencyStore;
    output?: EventPublisher;
    inputPoller?: SqsRequestPoller;
  } = {};
  if (connectionsTable !== undefined && presenceTable !== undefined) {
    const documents = dynamoDbDocumentClient({
      ...(settings.storeTimeoutMs === undefined ? {} : { timeoutMs: settings.storeTimeoutMs }),
      ...(settings.storeRetries === undefined ? {} : { retries: settings.storeRetries }),
      ...(hooks.storeObserver === undefined ? {} : { observer: hooks.storeObserver }),
    });
    adapters.connectionStore = new DynamoDbConnectionStore(documents, clock, {
      tableName: connectionsTable,
      ...(settings.maxConnectionAgeMs === undefined
        ? {}
        : { maxConnectionAgeMs: settings.maxConnectionAgeMs }),
    });
    adapters.presenceStore = new DynamoDbPresenceStore(documents, clock, {
      tableName: presenceTable,
    });
    adapters.nodeStore = new DynamoDbNodeStore(documents, { tableName: connectionsTable });
  }
  if (settings.historyTable !== undefined) {
    const documents = dynamoDbDocumentClient();
    const tableName = settings.historyTable;
    adapters.historyStore = new DynamoDbHistoryStore(documents, clock, {
      tableName,
      ...(settings.historyRetention === undefined ? {} : { retention: settings.historyRetention }),
    });
    adapters.idempotencyStore = new DynamoDbIdempotencyStore(documents, { tableName });
  }
  const sqs = outputQueueUrl !== undefined || inputQueueUrl !== undefined ? sqsClient() : undefined;
  const output = awsOutputPublisher(
    { outputTopicArn, outputQueueUrl },
    sqs === undefined ? {} : { sqs },
  );
  if (output !== undefined) adapters.output = output;
  if (inputQueueUrl !== undefined && sqs !== undefined) {
    adapters.inputPoller = new SqsRequestPoller(sqs, {
      queueUrl: inputQueueUrl,
      ...(hooks.onRejected === undefined ? {} : { onRejected: hooks.onRejected }),
      ...(hooks.onSetAside === undefined ? {} : { onSetAside: hooks.onSetAside }),
      ...(hooks.onReceiveError === undefined ? {} : { onReceiveError: hooks.onReceiveError }),
      ...(hooks.onExtendError === undefined ? {} : { onExtendError: hooks.onExtendError }),
    });
  }
  return adapters;
};

export type { AwsAdapters, AwsSettings };
export { awsAdapters };
