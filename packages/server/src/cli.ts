#!/usr/bin/env node
import { Logger } from '@aws-lambda-powertools/logger';
import { SystemClock } from '@herald/adapters-node';
import {
  ConfigurationError,
  type EventPublisher,
  type KeySource,
  storeRetryAfterSeconds,
  TokenVerifier,
} from '@herald/domain';
import {
  historyRetention,
  keySourceChoice,
  SETTINGS,
  tokenVerifierOptions,
} from '@herald/settings';
import { loadApiGateway, loadAwsAdapters, loadKeySource } from './aws-loading.js';
import type { AwsAdapters } from './aws-wiring.js';
import type { ClusterOptions } from './cluster/cluster-node.js';
import { helpText, loadConfig, type ServerConfig } from './config.js';
import { generateDevCredentials, signDevToken } from './dev-credentials.js';
import { createHeraldServer } from './herald-server.js';
import { WebhookEventPublisher } from './outputs/webhook-event-publisher.js';
import { installProcessGuards } from './process-guards.js';
import { parseSigV4AccessKeys, type SigV4AccessKey } from './sigv4-verifier.js';
import { StoreBacklog } from './store-backlog.js';

const fail = (message: string): never => {
  process.stderr.write(`herald: ${message}\n`);
  process.exit(2);
};

/**
 * The cluster settings, checked together: `--advertise-url` needs shared
 * state (the DynamoDB tables) and a SigV4 key pair to call the other nodes
 * with (the first of `--management-access-keys`). Without it, a node on
 * DynamoDB runs alone, and refuses to start beside live nodes, whose
 * connections it would take for its own.
 */
const clusterSettings = async (
  config: ServerConfig,
  aws: AwsAdapters,
  accessKeys: readonly SigV4AccessKey[] | undefined,
  clock: SystemClock,
): Promise<ClusterOptions | undefined> => {
  const { advertiseUrl } = SETTINGS;
  const named = `--${advertiseUrl.flag} / ${advertiseUrl.env}`;
  if (config.advertiseUrl === undefined) {
    const live = (await aws.nodeStore?.list())?.filter((n) => n.leaseExpiresAt > clock.now());
    if (live !== undefined && live.length > 0) {
      throw new ConfigurationError(
        named,
        `nodes already share these tables (${live.map((n) => n.endpoint).join(', ')}): give this node its own URL to join them`,
      );
    }
    return undefined;
  }
  if (aws.nodeStore === undefined) {
    throw new ConfigurationError(
      named,
      'several nodes share state: set --connections-table and --presence-table as well',
    );
  }
  const [accessKey] = accessKeys ?? [];
  if (accessKey === undefined) {
    const keys = SETTINGS.managementAccessKeys;
    throw new ConfigurationError(
      `--${keys.flag} / ${keys.env}`,
      'is required with --advertise-url: the nodes sign their calls to each other with its first key pair, and accept any listed',
    );
  }
  return {
    advertiseUrl: config.advertiseUrl,
    apiGateway: await loadApiGateway(),
    nodeStore: aws.nodeStore,
    accessKey,
    heartbeatMs: config.nodeHeartbeatMs,
    leaseMs: config.nodeLeaseMs,
  };
};

const main = async (): Promise<void> => {
  let config: ServerConfig | 'help';
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    return fail(error instanceof ConfigurationError ? error.message : String(error));
  }
  if (config === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  if (config.lambda) {
    return fail(
      '--lambda (HERALD_LAMBDA) has moved to the @herald/local-aws package, as its own command.\n' +
        'Run it with the same HERALD_* and AWS_* variables, or their flags (see its --help):\n' +
        '  herald-local-aws\n' +
        'or, from this repository after a build:\n' +
        '  node packages/local-aws/dist/cli.js',
    );
  }
  // No key given means development: a generated secret (HS256), printed below.
  const keys = keySourceChoice(config);
  const development = keys === undefined;
  const dev = generateDevCredentials();
  const backendKey = config.backendKey ?? dev.backendKey;
  const logger = new Logger({ serviceName: 'herald', logLevel: config.logLevel });
  installProcessGuards(logger);
  const clock = new SystemClock();
  const storeBacklog = new StoreBacklog({
    maxInFlight: config.storeMaxBacklog,
    retryAfterSeconds: storeRetryAfterSeconds(config.storeTimeoutMs, config.storeRetries),
    logger,
  });
  let keySource: KeySource;
  let managementAccessKeys: SigV4AccessKey[] | undefined;
  let aws: AwsAdapters;
  try {
    keySource = await loadKeySource(keys ?? { kind: 'secret', secret: dev.jwtSecret });
    const { flag, env } = SETTINGS.managementAccessKeys;
    managementAccessKeys =
      config.managementAccessKeys === undefined
        ? undefined
        : parseSigV4AccessKeys(`--${flag} / ${env}`, config.managementAccessKeys);
    aws = await loadAwsAdapters({ ...config, historyRetention: historyRetention(config) }, clock, {
      onRejected: (messageId, receiveCount, error) =>
        logger.error("notification request rejected; it stays for the queue's DLQ", {
          messageId,
          receiveCount,
          reason: error instanceof Error ? error.message : String(error),
        }),
      onSetAside: (messageId, error) =>
        logger.error('notification request refused; set aside with its reason for the DLQ', {
          messageId,
          code: error.code,
          reason: error.message,
        }),
      onReceiveError: (error) =>
        logger.warn('could not receive from the input queue; retrying', {
          reason: error instanceof Error ? error.message : String(error),
        }),
      onExtendError: (error) =>
        logger.warn(
          'could not keep requests being delivered out of sight on the input queue; another node may take them too',
          { reason: error instanceof Error ? error.message : String(error) },
        ),
      storeObserver: storeBacklog,
    });
  } catch (error) {
    return fail(error instanceof ConfigurationError ? error.message : String(error));
  }
  const verifier = new TokenVerifier(keySource, clock, tokenVerifierOptions(config));
  const outputs: EventPublisher[] = aws.output === undefined ? [] : [aws.output];
  if (config.webhookUrl !== undefined) {
    outputs.push(
      new WebhookEventPublisher({
        url: config.webhookUrl,
        ...(config.webhookSecret === undefined ? {} : { secret: config.webhookSecret }),
        onDropped: (events, reason) => logger.error('webhook batch dropped', { events, reason }),
      }),
    );
  }
  let cluster: ClusterOptions | undefined;
  try {
    cluster = await clusterSettings(config, aws, managementAccessKeys, clock);
  } catch (error) {
    return fail(error instanceof ConfigurationError ? error.message : String(error));
  }
  if (cluster !== undefined && config.historyTable === undefined) {
    logger.warn(
      'this node joins others without a shared history table (--history-table): its history is its own, so a client that resumes on another node is told recovered:false, and a request id is claimed per node',
    );
  }
  let server: ReturnType<typeof createHeraldServer>;
  try {
    server = createHeraldServer({
      host: config.host,
      port: config.port,
      stage: config.stage,
      verifier,
      backendKey,
      outputs,
      clock,
      ...(aws.connectionStore === undefined ? {} : { connectionStore: aws.connectionStore }),
      ...(aws.presenceStore === undefined ? {} : { presenceStore: aws.presenceStore }),
      ...(aws.historyStore === undefined ? {} : { historyStore: aws.historyStore }),
      ...(aws.idempotencyStore === undefined ? {} : { idempotencyStore: aws.idempotencyStore }),
      historyRetention: historyRetention(config),
      idempotencyWindowMs: config.idempotencyWindowSeconds * 1000,
      idleTimeoutMs: config.idleTimeoutMs,
      maxConnectionAgeMs: config.maxConnectionAgeMs,
      rateLimitPerSecond: config.rateLimit,
      wsPingIntervalMs: config.wsPingIntervalMs,
      maxConnectionsPerUser: config.maxConnectionsPerUser,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      ...(config.maxConnections === undefined ? {} : { maxConnections: config.maxConnections }),
      maxBufferedBytes: config.maxBufferedBytes,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      storeBacklog,
      presenceOutboxLeaseMs: config.presenceOutboxLeaseMs,
      managementApi: config.managementApi,
      ...(managementAccessKeys === undefined ? {} : { managementAccessKeys }),
      ...(cluster === undefined ? {} : { cluster }),
      logger,
    });
  } catch (error) {
    return fail(error instanceof ConfigurationError ? error.message : String(error));
  }
  let address: { url: string };
  try {
    address = await server.start();
  } catch (error) {
    return fail(error instanceof ConfigurationError ? error.message : String(error));
  }
  aws.inputPoller?.start(async (_body, polled) => {
    await server.consume(polled);
  });
  const wsUrl = address.url.replace(/^http/, 'ws');
  const lines = [`Herald is listening on ${address.url} (WebSocket ${wsUrl}/${config.stage})`];
  lines.push(
    config.connectionsTable === undefined
      ? 'State: in memory.'
      : `State: DynamoDB tables ${config.connectionsTable} and ${config.presenceTable}.`,
  );
  if (cluster !== undefined)
    lines.push(
      `Node ${cluster.advertiseUrl}: heartbeat every ${cluster.heartbeatMs} ms, lease ${cluster.leaseMs} ms.`,
    );
  lines.push(
    config.historyTable === undefined
      ? 'History: in memory (a new epoch at every start).'
      : `History: DynamoDB table ${config.historyTable}.`,
  );
  if (config.inputQueueUrl !== undefined)
    lines.push(`Polling notification requests from ${config.inputQueueUrl}.`);
  if (development) {
    const token = await signDevToken(dev.jwtSecret);
    lines.push(
      '',
      'Development mode: a generated token secret and backend key.',
      'Set HERALD_JWT_SECRET (or HERALD_JWT_PUBLIC_KEY) and HERALD_BACKEND_KEY for real use; see --help.',
      '',
      `Token for user "dev-user" (all channels, 12 h):\n  ${token}`,
      `Backend key:\n  ${backendKey}`,
      '',
      'Connect:',
      `  npx wscat -c "${wsUrl}/?authorization=${token}"`,
      'Notify that user (from another terminal):',
      `  curl -sS -X POST ${address.url}/notifications -H "Authorization: Bearer ${backendKey}" \\`,
      `    -H "Content-Type: application/json" -d '{"users":["dev-user"],"data":{"message":"hello from Herald"}}'`,
    );
  } else if (config.backendKey === undefined) {
    lines.push(`Backend key (generated; set HERALD_BACKEND_KEY to fix it):\n  ${backendKey}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    Promise.resolve(aws.inputPoller?.stop())
      .then(() => server.stop())
      .then(
        () => process.exit(0),
        (error) => {
          logger.error('shutdown failed', { error });
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
};

await main();
