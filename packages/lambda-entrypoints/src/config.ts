import { ConfigurationError, LIMITS } from '@herald/domain';
import { z } from 'zod';

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);
const positive = z.coerce.number().int().positive();

/**
 * Every environment variable a Herald Lambda reads. Each handler needs only
 * some of them; `require` names the missing one when it does.
 */
const SCHEMA = z.object({
  HERALD_CONNECTIONS_TABLE: z.string().min(3).optional(),
  HERALD_PRESENCE_TABLE: z.string().min(3).optional(),
  /** Client `publish` messages and presence events. */
  HERALD_OUTPUT_TOPIC_ARN: z.string().startsWith('arn:').optional(),
  /** Client `send` messages (and presence, without a topic). */
  HERALD_OUTPUT_QUEUE_URL: z.url().optional(),
  /** The notifications queue, where broadcast shards are re-enqueued. */
  HERALD_NOTIFICATIONS_QUEUE_URL: z.url().optional(),
  /** The WebSocket API's management endpoint, for handlers that post outside a WebSocket event. */
  HERALD_MANAGEMENT_ENDPOINT: z.url().optional(),
  HERALD_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** A Secrets Manager secret (ARN or name) holding the HMAC secret; read at first use. */
  HERALD_JWT_SECRET_ARN: z.string().min(1).optional(),
  /** An SSM SecureString parameter holding the HMAC secret; read at first use. */
  HERALD_JWT_SECRET_PARAMETER: z.string().min(1).optional(),
  HERALD_JWKS_URL: z.url({ protocol: /^https$/ }).optional(),
  HERALD_X509_URL: z.url({ protocol: /^https$/ }).optional(),
  HERALD_JWT_ALGORITHMS: list.optional(),
  HERALD_JWT_ISSUER: z.string().min(1).optional(),
  HERALD_JWT_AUDIENCE: list.optional(),
  HERALD_USER_ID_CLAIM: z.string().min(1).default('sub'),
  HERALD_CHANNELS_CLAIM: z.string().min(1).default('channels'),
  HERALD_IDLE_TIMEOUT_MS: positive.default(LIMITS.idleTimeoutMs),
  HERALD_MAX_CONNECTION_AGE_MS: positive.default(LIMITS.maxConnectionAgeMs),
  /** Shards a broadcast is split into, one SQS message each. */
  HERALD_BROADCAST_SHARDS: positive.default(8),
  HERALD_FANOUT_CONCURRENCY: positive.default(64),
});

type LambdaConfig = z.output<typeof SCHEMA>;
type Setting = keyof LambdaConfig;

/** Validates the environment once, at init. A bad value fails with the variable's name and what was expected. */
const loadConfig = (env: NodeJS.ProcessEnv): LambdaConfig => {
  const present = Object.fromEntries(
    Object.keys(SCHEMA.shape).flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  );
  const parsed = SCHEMA.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigurationError(name, issue?.message ?? 'is invalid');
  }
  const keys = [
    'HERALD_JWT_SECRET',
    'HERALD_JWT_SECRET_ARN',
    'HERALD_JWT_SECRET_PARAMETER',
    'HERALD_JWKS_URL',
    'HERALD_X509_URL',
  ].filter((name) => present[name] !== undefined);
  if (keys.length > 1) {
    throw new ConfigurationError(
      keys.join(' / '),
      'give one way to verify client tokens, not several',
    );
  }
  return parsed.data;
};

/** The value of a setting this handler cannot work without. */
const requireSetting = <K extends Setting>(
  config: LambdaConfig,
  name: K,
): NonNullable<LambdaConfig[K]> => {
  const value = config[name];
  if (value === undefined || value === null)
    throw new ConfigurationError(name, 'is required by this handler');
  return value as NonNullable<LambdaConfig[K]>;
};

export type { LambdaConfig };
export { loadConfig, requireSetting };
