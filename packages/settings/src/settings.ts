import { isLoopback, LIMITS } from '@herald/domain';
import * as z from 'zod/mini';
// Zod Mini, the tree-shakable form of zod 4: the settings are one of every
// Lambda's first costs, at init. Classic zod's schemas carry their methods on
// every instance; Mini's API adds 9 KiB to a Lambda bundle where classic's
// added 84 (26 KiB in all with zod's core and these messages), and took a
// third of the import time (measured by
// `pnpm --filter @herald/lambda-entrypoints bench`). The English messages are
// the ones classic zod prints.
import en from 'zod/v4/locales/en.js';

z.config(en());

/** The Lambda handlers, by the name of their entry (`src/entries/{name}.ts`). */
type LambdaHandlerName =
  | 'authorizer'
  | 'connect'
  | 'disconnect'
  | 'actions'
  | 'notifications'
  | 'notifications-topic'
  | 'presence'
  | 'presence-query';

/** Who reads a setting: the embedded server's CLI, the local API Gateway's CLI, or a Lambda handler. */
type Reader = 'server' | 'local-aws' | LambdaHandlerName;

/** One setting: its environment variable, flag, schema, help, and who reads it, in one place. */
interface Setting {
  readonly env: `HERALD_${string}`;
  /** The command-line flag, for the readers that are command lines. */
  readonly flag: string;
  /** What it means, for `--help` and the README tables. */
  readonly help: string;
  /** The default as people should read it; absent when there is none. */
  readonly shownDefault?: string;
  /**
   * Builds the schema a given value must pass. A function, so that a process
   * builds only the schemas of the values it is given: a Lambda handler reads
   * a few of the table's settings at init, most of them not set, and building
   * and running every schema would cost each cold start several milliseconds
   * (`pnpm --filter @herald/lambda-entrypoints bench`).
   */
  readonly schema: () => z.ZodMiniType;
  /** The value when the setting is not given (or empty); without one, the setting is optional. */
  readonly default?: unknown;
  /** Never echoed, not even a malformed value. */
  readonly secret?: true;
  /** A flag that takes no value (`--lambda`); its variable takes `1`/`true`/`0`/`false`. */
  readonly switch?: true;
  readonly readBy: readonly Reader[];
}

const LAMBDA_HANDLERS = [
  'authorizer',
  'connect',
  'disconnect',
  'actions',
  'notifications',
  'notifications-topic',
  'presence',
  'presence-query',
] as const satisfies readonly LambdaHandlerName[];

const port = () => z.coerce.number().check(z.int(), z.minimum(0), z.maximum(65_535));
const positiveInt = () => z.coerce.number().check(z.int(), z.positive());
const list = () =>
  z.pipe(
    z.string(),
    z.transform((value: string) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    ),
  );
const tableName = () =>
  z
    .string()
    .check(z.regex(/^[\w.-]{3,255}$/, 'a DynamoDB table name (3 to 255 letters, digits, _ . -)'));
const httpUrl = () => z.url({ protocol: /^https?$/ });
/** Where client-token keys are fetched from: HTTPS, or plain HTTP on a loopback host (a local identity provider). */
const keysUrl = () =>
  z.string().check(
    z.refine((value) => {
      if (!URL.canParse(value)) return false;
      const url = new URL(value);
      return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
    }, 'must be an HTTPS URL (plain HTTP only on a loopback host, for a local identity provider)'),
  );
const snsTopicArn = () =>
  z.string().check(z.regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w.-]+$/, 'an SNS topic ARN'));

// Reader groups, named so the table below reads as who uses what.
const CLI = ['server', 'local-aws'] as const;
const TOKEN_READERS = ['server', 'local-aws', 'authorizer', 'actions'] as const;
const STATE_READERS = [
  'server',
  'local-aws',
  'connect',
  'disconnect',
  'actions',
  'notifications',
  'notifications-topic',
  'presence',
  'presence-query',
] as const;
const OUTPUT_READERS = ['server', 'local-aws', 'actions', 'presence', 'presence-query'] as const;
const FANOUT_READERS = ['local-aws', 'notifications', 'notifications-topic'] as const;
/** Who keeps or replays the streams' history: the fanouts append, the action handler resumes. */
const HISTORY_READERS = [
  'server',
  'local-aws',
  'actions',
  'notifications',
  'notifications-topic',
] as const;

/** Every handler that builds the connection registry or the presence tracker reads their lifetimes. */
const LIFETIME_READERS = STATE_READERS;

/**
 * Every `HERALD_*` setting Herald reads, anywhere. The server CLI and its
 * `--help`, the local API Gateway's CLI, the Lambda configuration loader, the
 * CDK construct's function environments and the README tables all derive
 * from this table; no other code reads `process.env` for a `HERALD_*` name.
 */
const SETTINGS = {
  host: {
    env: 'HERALD_HOST',
    flag: 'host',
    help: 'address to listen on',
    shownDefault: '127.0.0.1',
    schema: () => z.string().check(z.minLength(1)),
    default: '127.0.0.1',
    readBy: CLI,
  },
  port: {
    env: 'HERALD_PORT',
    flag: 'port',
    help: 'port to listen on; 0 picks a free one',
    shownDefault: '8080',
    schema: () => port(),
    default: 8080,
    readBy: CLI,
  },
  stage: {
    env: 'HERALD_STAGE',
    flag: 'stage',
    help: 'stage name: clients may connect to / or /STAGE, as on API Gateway',
    shownDefault: 'local',
    schema: () => z.string().check(z.regex(/^[\w-]{1,128}$/, 'letters, digits, _ and - only')),
    default: 'local',
    readBy: CLI,
  },
  jwtSecret: {
    env: 'HERALD_JWT_SECRET',
    flag: 'jwt-secret',
    help: 'HMAC secret for client tokens, at least 32 bytes; with no key at all, the CLIs generate one for development',
    schema: () => z.string().check(z.minLength(32, 'must be at least 32 characters')),
    secret: true,
    readBy: TOKEN_READERS,
  },
  jwtSecretArn: {
    env: 'HERALD_JWT_SECRET_ARN',
    flag: 'jwt-secret-arn',
    help: 'Secrets Manager secret (ARN or name) holding the HMAC secret, read at first use',
    schema: () => z.string().check(z.minLength(1)),
    readBy: ['local-aws', 'authorizer', 'actions'],
  },
  jwtSecretParameter: {
    env: 'HERALD_JWT_SECRET_PARAMETER',
    flag: 'jwt-secret-parameter',
    help: 'SSM SecureString parameter holding the HMAC secret, read at first use',
    schema: () => z.string().check(z.minLength(1)),
    readBy: ['local-aws', 'authorizer', 'actions'],
  },
  jwtPublicKey: {
    env: 'HERALD_JWT_PUBLIC_KEY',
    flag: 'jwt-public-key',
    help: 'PEM public key or certificate that verifies client tokens, instead of a secret',
    schema: () =>
      z.string().check(z.includes('-----BEGIN', 'must be a PEM public key or certificate')),
    readBy: ['server'],
  },
  jwksUrl: {
    env: 'HERALD_JWKS_URL',
    flag: 'jwks-url',
    help: 'HTTPS URL of the JWKS that verifies client tokens, cached per Cache-Control (plain HTTP on loopback only)',
    schema: () => keysUrl(),
    readBy: TOKEN_READERS,
  },
  x509Url: {
    env: 'HERALD_X509_URL',
    flag: 'x509-url',
    help: 'HTTPS URL of an x509 certificate map {kid: PEM}, as Firebase/Google securetoken publish (plain HTTP on loopback only)',
    schema: () => keysUrl(),
    readBy: TOKEN_READERS,
  },
  jwtAlgorithms: {
    env: 'HERALD_JWT_ALGORITHMS',
    flag: 'jwt-algorithms',
    help: 'comma-separated allowed algorithms',
    shownDefault: 'HS256 with a secret, RS256 with a public key',
    schema: () => list(),
    readBy: TOKEN_READERS,
  },
  jwtIssuer: {
    env: 'HERALD_JWT_ISSUER',
    flag: 'jwt-issuer',
    help: 'required "iss" of client tokens',
    schema: () => z.string().check(z.minLength(1)),
    readBy: TOKEN_READERS,
  },
  jwtAudience: {
    env: 'HERALD_JWT_AUDIENCE',
    flag: 'jwt-audience',
    help: 'comma-separated accepted "aud" values of client tokens',
    schema: () => list(),
    readBy: TOKEN_READERS,
  },
  jwtRequiredClaims: {
    env: 'HERALD_JWT_REQUIRED_CLAIMS',
    flag: 'jwt-required-claims',
    help: 'comma-separated claims a client token must carry, besides the user id claim; "none" for none',
    shownDefault: 'exp',
    schema: () =>
      z.pipe(
        list(),
        z.transform((claims: string[]) =>
          claims.length === 1 && claims[0] === 'none' ? [] : claims,
        ),
      ),
    default: ['exp'],
    readBy: TOKEN_READERS,
  },
  jwtMaxLifetimeSeconds: {
    env: 'HERALD_JWT_MAX_LIFETIME_SECONDS',
    flag: 'jwt-max-lifetime-seconds',
    help: 'refuse client tokens valid for longer than this (exp - iat, or exp - now)',
    shownDefault: 'no limit',
    schema: () => positiveInt(),
    readBy: TOKEN_READERS,
  },
  userIdClaim: {
    env: 'HERALD_USER_ID_CLAIM',
    flag: 'user-id-claim',
    help: 'claim holding the user id',
    shownDefault: 'sub',
    schema: () => z.string().check(z.minLength(1)),
    default: 'sub',
    readBy: TOKEN_READERS,
  },
  channelsClaim: {
    env: 'HERALD_CHANNELS_CLAIM',
    flag: 'channels-claim',
    help: 'claim holding the channels a client may subscribe to (* for all)',
    shownDefault: 'channels',
    schema: () => z.string().check(z.minLength(1)),
    default: 'channels',
    readBy: TOKEN_READERS,
  },
  backendKey: {
    env: 'HERALD_BACKEND_KEY',
    flag: 'backend-key',
    help: 'key backends send as "Authorization: Bearer KEY", at least 16 characters',
    shownDefault: 'generated, development only',
    schema: () => z.string().check(z.minLength(16, 'must be at least 16 characters')),
    secret: true,
    readBy: ['server'],
  },
  webhookUrl: {
    env: 'HERALD_WEBHOOK_URL',
    flag: 'webhook-url',
    help: 'URL that client messages and presence events are POSTed to',
    schema: () => httpUrl(),
    readBy: ['server'],
  },
  webhookSecret: {
    env: 'HERALD_WEBHOOK_SECRET',
    flag: 'webhook-secret',
    help: 'secret that signs webhook bodies (X-Herald-Signature: sha256=HMAC)',
    schema: () => z.string().check(z.minLength(16, 'must be at least 16 characters')),
    secret: true,
    readBy: ['server'],
  },
  connectionsTable: {
    env: 'HERALD_CONNECTIONS_TABLE',
    flag: 'connections-table',
    help: 'DynamoDB connections table (with the presence table); without them the server keeps state in memory',
    schema: () => tableName(),
    readBy: STATE_READERS,
  },
  presenceTable: {
    env: 'HERALD_PRESENCE_TABLE',
    flag: 'presence-table',
    help: 'DynamoDB presence table (with the connections table)',
    schema: () => tableName(),
    readBy: STATE_READERS,
  },
  storeTimeoutMs: {
    env: 'HERALD_STORE_TIMEOUT_MS',
    flag: 'store-timeout-ms',
    help: 'deadline of one DynamoDB request; past it the request is aborted and retried',
    shownDefault: '2000',
    schema: () => positiveInt(),
    default: 2000,
    readBy: STATE_READERS,
  },
  storeRetries: {
    env: 'HERALD_STORE_RETRIES',
    flag: 'store-retries',
    help: 'retries of a DynamoDB request that timed out, was throttled or failed on the server; then the caller gets store_unavailable',
    shownDefault: '2',
    schema: () => z.coerce.number().check(z.int(), z.minimum(0), z.maximum(10)),
    default: 2,
    readBy: STATE_READERS,
  },
  storeMaxBacklog: {
    env: 'HERALD_STORE_MAX_BACKLOG',
    flag: 'store-max-backlog',
    help: 'DynamoDB requests in flight at once; past it upgrades and backend requests are refused with 503 until half that is left',
    shownDefault: '500',
    schema: () => positiveInt(),
    default: 500,
    readBy: ['server'],
  },
  historyTable: {
    env: 'HERALD_HISTORY_TABLE',
    flag: 'history-table',
    help: "DynamoDB history table (streams' entries and idempotency claims); without it history is kept in memory (the server) or not at all (a Lambda)",
    schema: () => tableName(),
    readBy: HISTORY_READERS,
  },
  historyUserEntries: {
    env: 'HERALD_HISTORY_USER_ENTRIES',
    flag: 'history-user-entries',
    help: 'entries kept per user stream (user:{id}); a resume replays at most this many',
    shownDefault: '100',
    schema: () => positiveInt(),
    default: 100,
    readBy: HISTORY_READERS,
  },
  historyUserTtlSeconds: {
    env: 'HERALD_HISTORY_USER_TTL_SECONDS',
    flag: 'history-user-ttl-seconds',
    help: 'how long a user stream keeps an entry',
    shownDefault: '3600',
    schema: () => positiveInt(),
    default: 3600,
    readBy: HISTORY_READERS,
  },
  historyChannelEntries: {
    env: 'HERALD_HISTORY_CHANNEL_ENTRIES',
    flag: 'history-channel-entries',
    help: 'entries kept per channel stream (channel:{name})',
    shownDefault: '100',
    schema: () => positiveInt(),
    default: 100,
    readBy: HISTORY_READERS,
  },
  historyChannelTtlSeconds: {
    env: 'HERALD_HISTORY_CHANNEL_TTL_SECONDS',
    flag: 'history-channel-ttl-seconds',
    help: 'how long a channel stream keeps an entry',
    shownDefault: '3600',
    schema: () => positiveInt(),
    default: 3600,
    readBy: HISTORY_READERS,
  },
  historyBroadcastEntries: {
    env: 'HERALD_HISTORY_BROADCAST_ENTRIES',
    flag: 'history-broadcast-entries',
    help: 'entries kept in the broadcast stream',
    shownDefault: '20',
    schema: () => positiveInt(),
    default: 20,
    readBy: HISTORY_READERS,
  },
  historyBroadcastTtlSeconds: {
    env: 'HERALD_HISTORY_BROADCAST_TTL_SECONDS',
    flag: 'history-broadcast-ttl-seconds',
    help: 'how long the broadcast stream keeps an entry',
    shownDefault: '3600',
    schema: () => positiveInt(),
    default: 3600,
    readBy: HISTORY_READERS,
  },
  idempotencyWindowSeconds: {
    env: 'HERALD_IDEMPOTENCY_WINDOW_SECONDS',
    flag: 'idempotency-window-seconds',
    help: 'a request sent again with the same id within this window is answered "duplicate" and delivers nothing',
    shownDefault: '600',
    schema: () => positiveInt(),
    default: 600,
    // The action handler builds the same NotificationHistory, to replay it.
    readBy: HISTORY_READERS,
  },
  outputTopicArn: {
    env: 'HERALD_OUTPUT_TOPIC_ARN',
    flag: 'output-topic-arn',
    help: 'SNS topic for client "publish" messages and presence events',
    schema: () => snsTopicArn(),
    readBy: OUTPUT_READERS,
  },
  outputQueueUrl: {
    env: 'HERALD_OUTPUT_QUEUE_URL',
    flag: 'output-queue-url',
    help: 'SQS queue for client "send" messages (and presence, without a topic)',
    schema: () => httpUrl(),
    readBy: OUTPUT_READERS,
  },
  inputQueueUrl: {
    env: 'HERALD_INPUT_QUEUE_URL',
    flag: 'input-queue-url',
    help: "SQS queue of notification requests to poll (failed ones stay for the queue's DLQ)",
    schema: () => httpUrl(),
    readBy: ['server'],
  },
  notificationsQueueUrl: {
    env: 'HERALD_NOTIFICATIONS_QUEUE_URL',
    flag: 'notifications-queue-url',
    help: 'the notifications queue: the handlers take requests from it and re-enqueue broadcast shards to it',
    schema: () => httpUrl(),
    readBy: FANOUT_READERS,
  },
  managementEndpoint: {
    env: 'HERALD_MANAGEMENT_ENDPOINT',
    flag: 'management-endpoint',
    help: "the WebSocket API's management endpoint, for handlers that post outside a WebSocket event",
    shownDefault: 'the one each event implies',
    schema: () => httpUrl(),
    readBy: ['local-aws', 'actions', 'notifications', 'notifications-topic'],
  },
  broadcastShards: {
    env: 'HERALD_BROADCAST_SHARDS',
    flag: 'broadcast-shards',
    help: 'shards a broadcast is split into, one SQS message each',
    shownDefault: '8',
    schema: () => positiveInt(),
    default: 8,
    readBy: FANOUT_READERS,
  },
  fanoutConcurrency: {
    env: 'HERALD_FANOUT_CONCURRENCY',
    flag: 'fanout-concurrency',
    help: 'posts in flight at once per request',
    shownDefault: '64',
    schema: () => positiveInt(),
    default: 64,
    readBy: FANOUT_READERS,
  },
  idleTimeoutMs: {
    env: 'HERALD_IDLE_TIMEOUT_MS',
    flag: 'idle-timeout-ms',
    help: 'a connection idle this long is closed (1001) and stops counting for presence',
    shownDefault: String(LIMITS.idleTimeoutMs),
    schema: () => positiveInt(),
    default: LIMITS.idleTimeoutMs,
    readBy: LIFETIME_READERS,
  },
  maxConnectionAgeMs: {
    env: 'HERALD_MAX_CONNECTION_AGE_MS',
    flag: 'max-connection-age-ms',
    help: 'a connection is closed at this age (1001)',
    shownDefault: String(LIMITS.maxConnectionAgeMs),
    schema: () => positiveInt(),
    default: LIMITS.maxConnectionAgeMs,
    readBy: LIFETIME_READERS,
  },
  presenceOutboxLeaseMs: {
    env: 'HERALD_PRESENCE_OUTBOX_LEASE_MS',
    flag: 'presence-outbox-lease-ms',
    help: 'a presence event committed but not yet published is left to its writer this long; then another writer publishes it (crash recovery)',
    shownDefault: '30000',
    schema: () => positiveInt(),
    default: 30_000,
    readBy: LIFETIME_READERS,
  },
  wsPingIntervalMs: {
    env: 'HERALD_WS_PING_INTERVAL_MS',
    flag: 'ws-ping-interval-ms',
    help: 'WebSocket-level pings this often; a socket that misses one pong is terminated (0: no pings)',
    shownDefault: '30000',
    schema: () => z.coerce.number().check(z.int(), z.minimum(0)),
    default: 30_000,
    readBy: ['server'],
  },
  rateLimit: {
    env: 'HERALD_RATE_LIMIT',
    flag: 'rate-limit',
    help: 'client actions allowed per connection per second, with bursts of twice that',
    shownDefault: '20',
    schema: () => z.coerce.number().check(z.positive()),
    default: 20,
    readBy: ['server'],
  },
  maxConnectionsPerUser: {
    env: 'HERALD_MAX_CONNECTIONS_PER_USER',
    flag: 'max-connections-per-user',
    help: "a user's open connections; past it the upgrade is refused with 429",
    shownDefault: '100',
    schema: () => positiveInt(),
    default: 100,
    readBy: ['server'],
  },
  maxConnectionsPerAddress: {
    env: 'HERALD_MAX_CONNECTIONS_PER_ADDRESS',
    flag: 'max-connections-per-address',
    help: "a source address's open connections; past it the upgrade is refused with 429",
    shownDefault: '1000',
    schema: () => positiveInt(),
    default: 1000,
    readBy: ['server'],
  },
  maxConnections: {
    env: 'HERALD_MAX_CONNECTIONS',
    flag: 'max-connections',
    help: 'open connections in all; past it the upgrade is refused with 503',
    shownDefault: 'the V8 heap limit / 64 KiB',
    schema: () => positiveInt(),
    readBy: ['server'],
  },
  maxBufferedBytes: {
    env: 'HERALD_MAX_BUFFERED_BYTES',
    flag: 'max-buffered-bytes',
    help: 'unsent bytes a socket may hold; past it the connection is closed with 1013',
    shownDefault: '4194304',
    schema: () => positiveInt(),
    default: 4 * 1024 * 1024,
    readBy: ['server'],
  },
  headersTimeoutMs: {
    env: 'HERALD_HEADERS_TIMEOUT_MS',
    flag: 'headers-timeout-ms',
    help: 'time a connection has to send a whole request head (an upgrade too); then 408',
    shownDefault: '10000',
    schema: () => positiveInt(),
    default: 10_000,
    readBy: ['server'],
  },
  requestTimeoutMs: {
    env: 'HERALD_REQUEST_TIMEOUT_MS',
    flag: 'request-timeout-ms',
    help: 'time a request has to arrive in full; then 408',
    shownDefault: '30000',
    schema: () => positiveInt(),
    default: 30_000,
    readBy: ['server'],
  },
  handshakeTimeoutMs: {
    env: 'HERALD_HANDSHAKE_TIMEOUT_MS',
    flag: 'handshake-timeout-ms',
    help: 'time to admit an upgrade (the token check, a key fetch); then 408',
    shownDefault: '10000',
    schema: () => positiveInt(),
    default: 10_000,
    readBy: ['server'],
  },
  keepAliveTimeoutMs: {
    env: 'HERALD_KEEP_ALIVE_TIMEOUT_MS',
    flag: 'keep-alive-timeout-ms',
    help: 'an idle keep-alive HTTP connection is closed after this',
    shownDefault: '5000',
    schema: () => positiveInt(),
    default: 5000,
    readBy: ['server'],
  },
  managementApi: {
    env: 'HERALD_MANAGEMENT_API',
    flag: 'management-api',
    help: 'who may call /@connections: loopback, any (with credentials: SigV4 or the backend key) or off',
    shownDefault: 'loopback',
    schema: () => z.enum(['loopback', 'any', 'off']),
    default: 'loopback',
    readBy: ['server'],
  },
  managementAccessKeys: {
    env: 'HERALD_MANAGEMENT_ACCESS_KEYS',
    flag: 'management-access-keys',
    help: 'SigV4 key pairs that may call /@connections with --management-api any: ID:SECRET[:SESSION_TOKEN],…',
    schema: () => z.string().check(z.minLength(1)),
    secret: true,
    readBy: ['server'],
  },
  advertiseUrl: {
    env: 'HERALD_ADVERTISE_URL',
    flag: 'advertise-url',
    help: "this node's URL as the other nodes reach it (its management API); set it to run several nodes on shared tables",
    schema: () => httpUrl(),
    readBy: ['server'],
  },
  nodeHeartbeatMs: {
    env: 'HERALD_NODE_HEARTBEAT_MS',
    flag: 'node-heartbeat-ms',
    help: 'with --advertise-url: how often the node renews its lease in the connections table and checks the others',
    shownDefault: '5000',
    schema: () => positiveInt(),
    default: 5000,
    readBy: ['server'],
  },
  nodeLeaseMs: {
    env: 'HERALD_NODE_LEASE_MS',
    flag: 'node-lease-ms',
    help: 'with --advertise-url: a node not heard from this long is dead; a survivor removes its connections (OFFLINE)',
    shownDefault: '15000',
    schema: () => positiveInt(),
    default: 15_000,
    readBy: ['server'],
  },
  lambda: {
    env: 'HERALD_LAMBDA',
    flag: 'lambda',
    help: "moved: the Lambda handlers' local API Gateway is herald-local-aws (@herald/local-aws)",
    schema: () => z.stringbool(),
    default: false,
    switch: true,
    readBy: ['server'],
  },
  logLevel: {
    env: 'HERALD_LOG_LEVEL',
    flag: 'log-level',
    help: 'DEBUG, INFO, WARN or ERROR; tokens are never logged',
    shownDefault: 'INFO',
    schema: () => z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
    default: 'INFO',
    readBy: CLI,
  },
} as const satisfies Record<string, Setting>;

type SettingName = keyof typeof SETTINGS;

/** The settings a reader reads. */
type NamesReadBy<R extends Reader> = {
  [K in SettingName]: R extends (typeof SETTINGS)[K]['readBy'][number] ? K : never;
}[SettingName];

/** The settings any Lambda handler reads: one validated object per Lambda container. */
type LambdaSettingName = NamesReadBy<LambdaHandlerName>;

/** A setting's validated value: its schema's output, or undefined when it has no default. */
type ValueOf<S extends Setting> = S extends { readonly default: unknown }
  ? z.output<ReturnType<S['schema']>>
  : z.output<ReturnType<S['schema']>> | undefined;

/** Validated values, typed by each setting's schema. */
type SettingValues<N extends SettingName> = {
  readonly [K in N]: ValueOf<(typeof SETTINGS)[K]>;
};

type Settings<R extends Reader> = SettingValues<NamesReadBy<R>>;
type LambdaSettings = SettingValues<LambdaSettingName>;

const settingEntries = (): [SettingName, Setting][] =>
  Object.entries(SETTINGS) as [SettingName, Setting][];

/** The names of the settings `reader` reads, in the table's order. */
const namesReadBy = <R extends Reader>(reader: R): NamesReadBy<R>[] =>
  settingEntries()
    .filter(([, setting]) => setting.readBy.includes(reader))
    .map(([name]) => name as NamesReadBy<R>);

/** The names of the settings any Lambda handler reads. */
const lambdaSettingNames = (): LambdaSettingName[] =>
  settingEntries()
    .filter(([, setting]) =>
      setting.readBy.some((reader) => (LAMBDA_HANDLERS as readonly Reader[]).includes(reader)),
    )
    .map(([name]) => name as LambdaSettingName);

export type {
  LambdaHandlerName,
  LambdaSettingName,
  LambdaSettings,
  NamesReadBy,
  Reader,
  Setting,
  SettingName,
  Settings,
  SettingValues,
};
export { LAMBDA_HANDLERS, lambdaSettingNames, namesReadBy, SETTINGS, settingEntries };
