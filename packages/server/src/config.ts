import { parseArgs } from 'node:util';
import { ConfigurationError, LIMITS } from '@herald/domain';
import { z } from 'zod';

/** One setting: its CLI flag, environment variable, schema and help text, in one place. */
interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  readonly schema: z.ZodType;
}

const port = z.coerce.number().int().min(0).max(65_535);
const positiveMs = z.coerce.number().int().positive();
const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const SETTINGS = {
  host: {
    flag: 'host',
    env: 'HERALD_HOST',
    help: 'address to listen on (default 127.0.0.1)',
    schema: z.string().min(1).default('127.0.0.1'),
  },
  port: {
    flag: 'port',
    env: 'HERALD_PORT',
    help: 'port to listen on; 0 picks a free one (default 8080)',
    schema: port.default(8080),
  },
  stage: {
    flag: 'stage',
    env: 'HERALD_STAGE',
    help: 'stage name: clients may connect to /STAGE as on API Gateway (default local)',
    schema: z
      .string()
      .regex(/^[\w-]{1,128}$/, 'letters, digits, _ and - only')
      .default('local'),
  },
  jwtSecret: {
    flag: 'jwt-secret',
    env: 'HERALD_JWT_SECRET',
    help: 'HMAC secret for client tokens, at least 32 bytes (default: generated, development only)',
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
  },
  jwtPublicKey: {
    flag: 'jwt-public-key',
    env: 'HERALD_JWT_PUBLIC_KEY',
    help: 'PEM public key or certificate that verifies client tokens, instead of a secret',
    schema: z
      .string()
      .includes('-----BEGIN', { message: 'must be a PEM public key or certificate' })
      .optional(),
  },
  jwksUrl: {
    flag: 'jwks-url',
    env: 'HERALD_JWKS_URL',
    help: 'HTTPS URL of the JWKS that verifies client tokens (cached per Cache-Control)',
    schema: z.url({ protocol: /^https$/ }).optional(),
  },
  x509Url: {
    flag: 'x509-url',
    env: 'HERALD_X509_URL',
    help: 'HTTPS URL of an x509 certificate map {kid: PEM}, as Firebase/Google securetoken publish',
    schema: z.url({ protocol: /^https$/ }).optional(),
  },
  jwtAlgorithms: {
    flag: 'jwt-algorithms',
    env: 'HERALD_JWT_ALGORITHMS',
    help: 'comma-separated allowed algorithms (default HS256 with a secret, RS256 with a public key)',
    schema: list.optional(),
  },
  jwtIssuer: {
    flag: 'jwt-issuer',
    env: 'HERALD_JWT_ISSUER',
    help: 'required "iss" of client tokens',
    schema: z.string().min(1).optional(),
  },
  jwtAudience: {
    flag: 'jwt-audience',
    env: 'HERALD_JWT_AUDIENCE',
    help: 'comma-separated accepted "aud" values of client tokens',
    schema: list.optional(),
  },
  userIdClaim: {
    flag: 'user-id-claim',
    env: 'HERALD_USER_ID_CLAIM',
    help: 'claim holding the user id (default sub)',
    schema: z.string().min(1).default('sub'),
  },
  channelsClaim: {
    flag: 'channels-claim',
    env: 'HERALD_CHANNELS_CLAIM',
    help: 'claim holding the channels a client may subscribe to (default channels)',
    schema: z.string().min(1).default('channels'),
  },
  backendKey: {
    flag: 'backend-key',
    env: 'HERALD_BACKEND_KEY',
    help: 'API key backends send as "Authorization: Bearer KEY" (default: generated, development only)',
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
  },
  webhookUrl: {
    flag: 'webhook-url',
    env: 'HERALD_WEBHOOK_URL',
    help: 'URL that client messages and presence events are POSTed to',
    schema: z.url({ protocol: /^https?$/ }).optional(),
  },
  webhookSecret: {
    flag: 'webhook-secret',
    env: 'HERALD_WEBHOOK_SECRET',
    help: 'secret that signs webhook bodies (X-Herald-Signature: sha256=HMAC)',
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
  },
  connectionsTable: {
    flag: 'connections-table',
    env: 'HERALD_CONNECTIONS_TABLE',
    help: 'DynamoDB connections table (with HERALD_PRESENCE_TABLE; default: state in memory)',
    schema: z
      .string()
      .regex(/^[\w.-]{3,255}$/, 'a DynamoDB table name')
      .optional(),
  },
  presenceTable: {
    flag: 'presence-table',
    env: 'HERALD_PRESENCE_TABLE',
    help: 'DynamoDB presence table (with HERALD_CONNECTIONS_TABLE)',
    schema: z
      .string()
      .regex(/^[\w.-]{3,255}$/, 'a DynamoDB table name')
      .optional(),
  },
  outputTopicArn: {
    flag: 'output-topic-arn',
    env: 'HERALD_OUTPUT_TOPIC_ARN',
    help: 'SNS topic for client "publish" messages and presence events',
    schema: z
      .string()
      .regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w.-]+$/, 'an SNS topic ARN')
      .optional(),
  },
  outputQueueUrl: {
    flag: 'output-queue-url',
    env: 'HERALD_OUTPUT_QUEUE_URL',
    help: 'SQS queue for client "send" messages (and presence, without a topic)',
    schema: z.url({ protocol: /^https?$/ }).optional(),
  },
  inputQueueUrl: {
    flag: 'input-queue-url',
    env: 'HERALD_INPUT_QUEUE_URL',
    help: "SQS queue of notification requests to poll (failed ones stay for the queue's DLQ)",
    schema: z.url({ protocol: /^https?$/ }).optional(),
  },
  idleTimeoutMs: {
    flag: 'idle-timeout-ms',
    env: 'HERALD_IDLE_TIMEOUT_MS',
    help: `close connections idle this long (default ${LIMITS.idleTimeoutMs})`,
    schema: positiveMs.default(LIMITS.idleTimeoutMs),
  },
  maxConnectionAgeMs: {
    flag: 'max-connection-age-ms',
    env: 'HERALD_MAX_CONNECTION_AGE_MS',
    help: `close connections at this age (default ${LIMITS.maxConnectionAgeMs})`,
    schema: positiveMs.default(LIMITS.maxConnectionAgeMs),
  },
  rateLimit: {
    flag: 'rate-limit',
    env: 'HERALD_RATE_LIMIT',
    help: 'client actions allowed per connection per second, with bursts of twice that (default 20)',
    schema: z.coerce.number().positive().default(20),
  },
  managementApi: {
    flag: 'management-api',
    env: 'HERALD_MANAGEMENT_API',
    help: 'who may call /@connections: loopback, any or off (default loopback)',
    schema: z.enum(['loopback', 'any', 'off']).default('loopback'),
  },
  logLevel: {
    flag: 'log-level',
    env: 'HERALD_LOG_LEVEL',
    help: 'DEBUG, INFO, WARN or ERROR (default INFO)',
    schema: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  },
} as const satisfies Record<string, Setting>;

type SettingName = keyof typeof SETTINGS;
type ServerConfig = { readonly [K in SettingName]: z.output<(typeof SETTINGS)[K]['schema']> } & {
  /** Asked for the Lambda mode, which moved to @herald/local-aws: the CLI says so and exits. */
  readonly lambda: boolean;
};

const helpText = (): string => {
  const rows = Object.values(SETTINGS).map(
    (s: Setting) => `  --${s.flag.padEnd(22)} ${s.env.padEnd(29)} ${s.help}`,
  );
  return [
    'Usage: herald [options]',
    '',
    "Starts Herald's embedded server. With no options it listens on 127.0.0.1:8080,",
    'keeps state in memory, and prints a development token and backend key.',
    '',
    'Each option can also be set by its environment variable; a flag wins.',
    '',
    `  ${'flag'.padEnd(24)} ${'environment variable'.padEnd(29)} meaning`,
    ...rows,
    `  --${'lambda'.padEnd(22)} ${'HERALD_LAMBDA=1'.padEnd(29)} moved: the Lambda handlers' local API Gateway is herald-local-aws (@herald/local-aws)`,
    '  --help                   show this text',
  ].join('\n');
};

/**
 * Reads settings from flags and environment variables and validates them all
 * at once. Throws ConfigurationError naming the flag and variable of the first
 * bad value, with what was expected.
 */
const loadConfig = (argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig | 'help' => {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean', short: 'h' },
        lambda: { type: 'boolean' },
        ...Object.fromEntries(
          Object.values(SETTINGS).map((s: Setting) => [s.flag, { type: 'string' as const }]),
        ),
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new ConfigurationError('arguments', `${(error as Error).message} (see --help)`);
  }
  if (flags.help) return 'help';
  const lambda = flags.lambda === true || env.HERALD_LAMBDA === '1' || env.HERALD_LAMBDA === 'true';
  const config: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, Setting][]) {
    const raw = flags[setting.flag] ?? env[setting.env];
    const parsed = setting.schema.safeParse(raw === '' ? undefined : raw);
    if (!parsed.success) {
      const problem = parsed.error.issues.map((issue) => issue.message).join('; ');
      throw new ConfigurationError(
        `--${setting.flag} / ${setting.env}`,
        `${problem} (got "${redact(name, raw)}")`,
      );
    }
    config[name] = parsed.data;
  }
  const keySources = ['jwtSecret', 'jwtPublicKey', 'jwksUrl', 'x509Url'].filter(
    (name) => config[name] !== undefined,
  );
  if (keySources.length > 1) {
    throw new ConfigurationError(
      'HERALD_JWT_SECRET / HERALD_JWT_PUBLIC_KEY / HERALD_JWKS_URL / HERALD_X509_URL',
      'give one way to verify client tokens, not several',
    );
  }
  return { ...config, lambda } as ServerConfig;
};

const SECRET_SETTINGS: readonly string[] = ['jwtSecret', 'backendKey', 'webhookSecret'];

/** Never echo a secret back, even a malformed one. */
const redact = (name: string, raw: unknown): string =>
  SECRET_SETTINGS.includes(name) ? '[redacted]' : String(raw).slice(0, 80);

export type { ServerConfig };
export { helpText, loadConfig, SETTINGS };
