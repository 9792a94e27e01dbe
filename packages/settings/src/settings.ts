import { isLoopback, LIMITS } from '@herald/domain';
// A namespace import, not `{ z }`: a bundler then keeps only the schemas used
// (about 90 KiB of zod in a Lambda bundle instead of 440, locales and all).
import * as z from 'zod';

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
  readonly schema: z.ZodType;
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

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);
const tableName = z
  .string()
  .regex(/^[\w.-]{3,255}$/, 'a DynamoDB table name (3 to 255 letters, digits, _ . -)');
const httpUrl = z.url({ protocol: /^https?$/ });
/** Where client-token keys are fetched from: HTTPS, or plain HTTP on a loopback host (a local identity provider). */
const keysUrl = z.string().refine((value) => {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
}, 'must be an HTTPS URL (plain HTTP only on a loopback host, for a local identity provider)');
const snsTopicArn = z
  .string()
  .regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w.-]+$/, 'an SNS topic ARN');

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
    schema: z.string().min(1).default('127.0.0.1'),
    readBy: CLI,
  },
  port: {
    env: 'HERALD_PORT',
    flag: 'port',
    help: 'port to listen on; 0 picks a free one',
    shownDefault: '8080',
    schema: port.default(8080),
    readBy: CLI,
  },
  stage: {
    env: 'HERALD_STAGE',
    flag: 'stage',
    help: 'stage name: clients may connect to / or /STAGE, as on API Gateway',
    shownDefault: 'local',
    schema: z
      .string()
      .regex(/^[\w-]{1,128}$/, 'letters, digits, _ and - only')
      .default('local'),
    readBy: CLI,
  },
  jwtSecret: {
    env: 'HERALD_JWT_SECRET',
    flag: 'jwt-secret',
    help: 'HMAC secret for client tokens, at least 32 bytes; with no key at all, the CLIs generate one for development',
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    secret: true,
    readBy: TOKEN_READERS,
  },
  jwtSecretArn: {
    env: 'HERALD_JWT_SECRET_ARN',
    flag: 'jwt-secret-arn',
    help: 'Secrets Manager secret (ARN or name) holding the HMAC secret, read at first use',
    schema: z.string().min(1).optional(),
    readBy: ['local-aws', 'authorizer', 'actions'],
  },
  jwtSecretParameter: {
    env: 'HERALD_JWT_SECRET_PARAMETER',
    flag: 'jwt-secret-parameter',
    help: 'SSM SecureString parameter holding the HMAC secret, read at first use',
    schema: z.string().min(1).optional(),
    readBy: ['local-aws', 'authorizer', 'actions'],
  },
  jwtPublicKey: {
    env: 'HERALD_JWT_PUBLIC_KEY',
    flag: 'jwt-public-key',
    help: 'PEM public key or certificate that verifies client tokens, instead of a secret',
    schema: z
      .string()
      .includes('-----BEGIN', { message: 'must be a PEM public key or certificate' })
      .optional(),
    readBy: ['server'],
  },
  jwksUrl: {
    env: 'HERALD_JWKS_URL',
    flag: 'jwks-url',
    help: 'HTTPS URL of the JWKS that verifies client tokens, cached per Cache-Control (plain HTTP on loopback only)',
    schema: keysUrl.optional(),
    readBy: TOKEN_READERS,
  },
  x509Url: {
    env: 'HERALD_X509_URL',
    flag: 'x509-url',
    help: 'HTTPS URL of an x509 certificate map {kid: PEM}, as Firebase/Google securetoken publish (plain HTTP on loopback only)',
    schema: keysUrl.optional(),
    readBy: TOKEN_READERS,
  },
  jwtAlgorithms: {
    env: 'HERALD_JWT_ALGORITHMS',
    flag: 'jwt-algorithms',
    help: 'comma-separated allowed algorithms',
    shownDefault: 'HS256 with a secret, RS256 with a public key',
    schema: list.optional(),
    readBy: TOKEN_READERS,
  },
  jwtIssuer: {
    env: 'HERALD_JWT_ISSUER',
    flag: 'jwt-issuer',
    help: 'required "iss" of client tokens',
    schema: z.string().min(1).optional(),
    readBy: TOKEN_READERS,
  },
  jwtAudience: {
    env: 'HERALD_JWT_AUDIENCE',
    flag: 'jwt-audience',
    help: 'comma-separated accepted "aud" values of client tokens',
    schema: list.optional(),
    readBy: TOKEN_READERS,
  },
  jwtRequiredClaims: {
    env: 'HERALD_JWT_REQUIRED_CLAIMS',
    flag: 'jwt-required-claims',
    help: 'comma-separated claims a client token must carry, besides the user id claim; "none" for none',
    shownDefault: 'exp',
    schema: list
      .transform((claims) => (claims.length === 1 && claims[0] === 'none' ? [] : claims))
      .default(['exp']),
    readBy: TOKEN_READERS,
  },
  jwtMaxLifetimeSeconds: {
    env: 'HERALD_JWT_MAX_LIFETIME_SECONDS',
    flag: 'jwt-max-lifetime-seconds',
    help: 'refuse client tokens valid for longer than this (exp - iat, or exp - now)',
    shownDefault: 'no limit',
    schema: positiveInt.optional(),
    readBy: TOKEN_READERS,
  },
  userIdClaim: {
    env: 'HERALD_USER_ID_CLAIM',
    flag: 'user-id-claim',
    help: 'claim holding the user id',
    shownDefault: 'sub',
    schema: z.string().min(1).default('sub'),
    readBy: TOKEN_READERS,
  },
  channelsClaim: {
    env: 'HERALD_CHANNELS_CLAIM',
    flag: 'channels-claim',
    help: 'claim holding the channels a client may subscribe to (* for all)',
    shownDefault: 'channels',
    schema: z.string().min(1).default('channels'),
    readBy: TOKEN_READERS,
  },
  backendKey: {
    env: 'HERALD_BACKEND_KEY',
    flag: 'backend-key',
    help: 'key backends send as "Authorization: Bearer KEY", at least 16 characters',
    shownDefault: 'generated, development only',
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    secret: true,
    readBy: ['server'],
  },
  webhookUrl: {
    env: 'HERALD_WEBHOOK_URL',
    flag: 'webhook-url',
    help: 'URL that client messages and presence events are POSTed to',
    schema: httpUrl.optional(),
    readBy: ['server'],
  },
  webhookSecret: {
    env: 'HERALD_WEBHOOK_SECRET',
    flag: 'webhook-secret',
    help: 'secret that signs webhook bodies (X-Herald-Signature: sha256=HMAC)',
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    secret: true,
    readBy: ['server'],
  },
  connectionsTable: {
    env: 'HERALD_CONNECTIONS_TABLE',
    flag: 'connections-table',
    help: 'DynamoDB connections table (with the presence table); without them the server keeps state in memory',
    schema: tableName.optional(),
    readBy: STATE_READERS,
  },
  presenceTable: {
    env: 'HERALD_PRESENCE_TABLE',
    flag: 'presence-table',
    help: 'DynamoDB presence table (with the connections table)',
    schema: tableName.optional(),
    readBy: STATE_READERS,
  },
  outputTopicArn: {
    env: 'HERALD_OUTPUT_TOPIC_ARN',
    flag: 'output-topic-arn',
    help: 'SNS topic for client "publish" messages and presence events',
    schema: snsTopicArn.optional(),
    readBy: OUTPUT_READERS,
  },
  outputQueueUrl: {
    env: 'HERALD_OUTPUT_QUEUE_URL',
    flag: 'output-queue-url',
    help: 'SQS queue for client "send" messages (and presence, without a topic)',
    schema: httpUrl.optional(),
    readBy: OUTPUT_READERS,
  },
  inputQueueUrl: {
    env: 'HERALD_INPUT_QUEUE_URL',
    flag: 'input-queue-url',
    help: "SQS queue of notification requests to poll (failed ones stay for the queue's DLQ)",
    schema: httpUrl.optional(),
    readBy: ['server'],
  },
  notificationsQueueUrl: {
    env: 'HERALD_NOTIFICATIONS_QUEUE_URL',
    flag: 'notifications-queue-url',
    help: 'the notifications queue: the handlers take requests from it and re-enqueue broadcast shards to it',
    schema: httpUrl.optional(),
    readBy: FANOUT_READERS,
  },
  managementEndpoint: {
    env: 'HERALD_MANAGEMENT_ENDPOINT',
    flag: 'management-endpoint',
    help: "the WebSocket API's management endpoint, for handlers that post outside a WebSocket event",
    shownDefault: 'the one each event implies',
    schema: httpUrl.optional(),
    readBy: ['local-aws', 'actions', 'notifications', 'notifications-topic'],
  },
  broadcastShards: {
    env: 'HERALD_BROADCAST_SHARDS',
    flag: 'broadcast-shards',
    help: 'shards a broadcast is split into, one SQS message each',
    shownDefault: '8',
    schema: positiveInt.default(8),
    readBy: FANOUT_READERS,
  },
  fanoutConcurrency: {
    env: 'HERALD_FANOUT_CONCURRENCY',
    flag: 'fanout-concurrency',
    help: 'posts in flight at once per request',
    shownDefault: '64',
    schema: positiveInt.default(64),
    readBy: FANOUT_READERS,
  },
  idleTimeoutMs: {
    env: 'HERALD_IDLE_TIMEOUT_MS',
    flag: 'idle-timeout-ms',
    help: 'a connection idle this long is closed (1001) and stops counting for presence',
    shownDefault: String(LIMITS.idleTimeoutMs),
    schema: positiveInt.default(LIMITS.idleTimeoutMs),
    readBy: LIFETIME_READERS,
  },
  maxConnectionAgeMs: {
    env: 'HERALD_MAX_CONNECTION_AGE_MS',
    flag: 'max-connection-age-ms',
    help: 'a connection is closed at this age (1001)',
    shownDefault: String(LIMITS.maxConnectionAgeMs),
    schema: positiveInt.default(LIMITS.maxConnectionAgeMs),
    readBy: LIFETIME_READERS,
  },
  wsPingIntervalMs: {
    env: 'HERALD_WS_PING_INTERVAL_MS',
    flag: 'ws-ping-interval-ms',
    help: 'WebSocket-level pings this often; a socket that misses one pong is terminated (0: no pings)',
    schema: z.coerce.number().int().min(0).default(30_000),
    readBy: ['server'],
  },
  rateLimit: {
    env: 'HERALD_RATE_LIMIT',
    flag: 'rate-limit',
    help: 'client actions allowed per connection per second, with bursts of twice that',
    shownDefault: '20',
    schema: z.coerce.number().positive().default(20),
    readBy: ['server'],
  },
  maxConnectionsPerUser: {
    env: 'HERALD_MAX_CONNECTIONS_PER_USER',
    flag: 'max-connections-per-user',
    help: "a user's open connections; past it the upgrade is refused with 429",
    shownDefault: '100',
    schema: positiveInt.default(100),
    readBy: ['server'],
  },
  maxConnectionsPerAddress: {
    env: 'HERALD_MAX_CONNECTIONS_PER_ADDRESS',
    flag: 'max-connections-per-address',
    help: "a source address's open connections; past it the upgrade is refused with 429",
    shownDefault: '1000',
    schema: positiveInt.default(1000),
    readBy: ['server'],
  },
  maxConnections: {
    env: 'HERALD_MAX_CONNECTIONS',
    flag: 'max-connections',
    help: 'open connections in all; past it the upgrade is refused with 503',
    shownDefault: 'the V8 heap limit / 64 KiB',
    schema: positiveInt.optional(),
    readBy: ['server'],
  },
  maxBufferedBytes: {
    env: 'HERALD_MAX_BUFFERED_BYTES',
    flag: 'max-buffered-bytes',
    help: 'unsent bytes a socket may hold; past it the connection is closed with 1013',
    shownDefault: '4194304',
    schema: positiveInt.default(4 * 1024 * 1024),
    readBy: ['server'],
  },
  headersTimeoutMs: {
    env: 'HERALD_HEADERS_TIMEOUT_MS',
    flag: 'headers-timeout-ms',
    help: 'time a connection has to send a whole request head (an upgrade too); then 408',
    shownDefault: '10000',
    schema: positiveInt.default(10_000),
    readBy: ['server'],
  },
  requestTimeoutMs: {
    env: 'HERALD_REQUEST_TIMEOUT_MS',
    flag: 'request-timeout-ms',
    help: 'time a request has to arrive in full; then 408',
    shownDefault: '30000',
    schema: positiveInt.default(30_000),
    readBy: ['server'],
  },
  handshakeTimeoutMs: {
    env: 'HERALD_HANDSHAKE_TIMEOUT_MS',
    flag: 'handshake-timeout-ms',
    help: 'time to admit an upgrade (the token check, a key fetch); then 408',
    shownDefault: '10000',
    schema: positiveInt.default(10_000),
    readBy: ['server'],
  },
  keepAliveTimeoutMs: {
    env: 'HERALD_KEEP_ALIVE_TIMEOUT_MS',
    flag: 'keep-alive-timeout-ms',
    help: 'an idle keep-alive HTTP connection is closed after this',
    shownDefault: '5000',
    schema: positiveInt.default(5000),
    readBy: ['server'],
  },
  managementApi: {
    env: 'HERALD_MANAGEMENT_API',
    flag: 'management-api',
    help: 'who may call /@connections: loopback, any (with credentials: SigV4 or the backend key) or off',
    shownDefault: 'loopback',
    schema: z.enum(['loopback', 'any', 'off']).default('loopback'),
    readBy: ['server'],
  },
  managementAccessKeys: {
    env: 'HERALD_MANAGEMENT_ACCESS_KEYS',
    flag: 'management-access-keys',
    help: 'SigV4 key pairs that may call /@connections with --management-api any: ID:SECRET[:SESSION_TOKEN],…',
    schema: z.string().min(1).optional(),
    secret: true,
    readBy: ['server'],
  },
  lambda: {
    env: 'HERALD_LAMBDA',
    flag: 'lambda',
    help: "moved: the Lambda handlers' local API Gateway is herald-local-aws (@herald/local-aws)",
    schema: z.stringbool().default(false),
    switch: true,
    readBy: ['server'],
  },
  logLevel: {
    env: 'HERALD_LOG_LEVEL',
    flag: 'log-level',
    help: 'DEBUG, INFO, WARN or ERROR; tokens are never logged',
    shownDefault: 'INFO',
    schema: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
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

/** Validated values, typed by each setting's schema. */
type SettingValues<N extends SettingName> = {
  readonly [K in N]: z.output<(typeof SETTINGS)[K]['schema']>;
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
