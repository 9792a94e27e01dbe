#!/usr/bin/env node
import { Logger } from '@aws-lambda-powertools/logger';
import { StaticKeySource, SystemClock } from '@herald/adapters-memory';
import { ConfigurationError, type EventPublisher, TokenVerifier } from '@herald/domain';
import { helpText, loadConfig, type ServerConfig } from './config.js';
import { generateDevCredentials, signDevToken } from './dev-credentials.js';
import { createHeraldServer } from './herald-server.js';
import { WebhookEventPublisher } from './outputs/webhook-event-publisher.js';

const fail = (message: string): never => {
  process.stderr.write(`herald: ${message}\n`);
  process.exit(2);
};

const keySourceFor = (config: ServerConfig, devSecret: string | undefined) => {
  if (config.jwtPublicKey !== undefined) return StaticKeySource.fromPem(config.jwtPublicKey);
  return StaticKeySource.fromSecret(config.jwtSecret ?? (devSecret as string));
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
  const development = config.jwtSecret === undefined && config.jwtPublicKey === undefined;
  const dev = generateDevCredentials();
  const backendKey = config.backendKey ?? dev.backendKey;
  const logger = new Logger({ serviceName: 'herald', logLevel: config.logLevel });
  const clock = new SystemClock();
  const verifier = new TokenVerifier(
    keySourceFor(config, development ? dev.jwtSecret : undefined),
    clock,
    {
      algorithms:
        config.jwtAlgorithms ?? (config.jwtPublicKey === undefined ? ['HS256'] : ['RS256']),
      ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
      ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
      userIdClaim: config.userIdClaim,
      channelsClaim: config.channelsClaim,
    },
  );
  const outputs: EventPublisher[] = [];
  if (config.webhookUrl !== undefined) {
    outputs.push(
      new WebhookEventPublisher({
        url: config.webhookUrl,
        ...(config.webhookSecret === undefined ? {} : { secret: config.webhookSecret }),
        onDropped: (events, reason) => logger.error('webhook batch dropped', { events, reason }),
      }),
    );
  }
  const server = createHeraldServer({
    host: config.host,
    port: config.port,
    stage: config.stage,
    verifier,
    backendKey,
    outputs,
    clock,
    idleTimeoutMs: config.idleTimeoutMs,
    maxConnectionAgeMs: config.maxConnectionAgeMs,
    rateLimitPerSecond: config.rateLimit,
    managementApi: config.managementApi,
    logger,
  });
  let address: { url: string };
  try {
    address = await server.start();
  } catch (error) {
    return fail(error instanceof ConfigurationError ? error.message : String(error));
  }
  const wsUrl = address.url.replace(/^http/, 'ws');
  const lines = [`Herald is listening on ${address.url} (WebSocket ${wsUrl}/${config.stage})`];
  if (development) {
    const token = await signDevToken(dev.jwtSecret);
    lines.push(
      '',
      'Development mode: in-memory state, a generated token secret and backend key.',
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
    server.stop().then(
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
