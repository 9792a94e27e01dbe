import { parseArgs } from 'node:util';
import { ConfigurationError } from '@herald/domain';
import { SETTINGS as SERVER_SETTINGS } from '@herald/server';
import type { z } from 'zod';

/**
 * herald-local-aws's own settings: where its local API Gateway listens and how
 * it logs. They are the embedded server's rows of the same names (one flag,
 * variable, schema and help each); everything else is the Lambda functions'
 * own HERALD_* variables, read by @herald/lambda-entrypoints.
 */
const SETTINGS = {
  host: SERVER_SETTINGS.host,
  port: SERVER_SETTINGS.port,
  stage: SERVER_SETTINGS.stage,
  logLevel: SERVER_SETTINGS.logLevel,
} as const;

type SettingName = keyof typeof SETTINGS;
type LocalAwsSettings = {
  readonly [K in SettingName]: z.output<(typeof SETTINGS)[K]['schema']>;
};

/** The Lambda variables this command needs or reacts to, with what they do here. */
const LAMBDA_VARIABLES: readonly (readonly [string, string])[] = [
  ['HERALD_CONNECTIONS_TABLE', 'required: the connections table; its stream feeds presence'],
  ['HERALD_PRESENCE_TABLE', 'required: the presence table'],
  ['HERALD_NOTIFICATIONS_QUEUE_URL', 'required: polled and handed to the notifications handler'],
  [
    'HERALD_JWT_SECRET',
    'or _ARN, _PARAMETER, HERALD_JWKS_URL, HERALD_X509_URL; without any, a development secret is generated and a token printed',
  ],
  [
    'HERALD_OUTPUT_TOPIC_ARN',
    'and HERALD_OUTPUT_QUEUE_URL, HERALD_JWT_*, ...: as on the deployed functions',
  ],
];

const helpText = (): string => {
  const rows = Object.values(SETTINGS).map(
    (s) => `  --${s.flag.padEnd(22)} ${s.env.padEnd(31)} ${s.help}`,
  );
  return [
    'Usage: herald-local-aws [options]',
    '',
    "Runs Herald's Lambda handlers, composed as the deployed functions are, behind a",
    'local API Gateway WebSocket API, and stands in for their event sources: the',
    "notifications queue and the connections table's stream. State and queues are",
    'DynamoDB and SQS: DynamoDB Local and fauxqs, LocalStack, or real AWS.',
    '',
    'Each option can also be set by its environment variable; a flag wins.',
    '',
    `  ${'flag'.padEnd(24)} ${'environment variable'.padEnd(31)} meaning`,
    ...rows,
    '  --help                   show this text',
    '',
    "The handlers read the Lambda functions' own variables (see @herald/lambda-entrypoints):",
    ...LAMBDA_VARIABLES.map(([name, meaning]) => `  ${name.padEnd(32)} ${meaning}`),
    '',
    'The AWS SDK clients are configured the standard way: AWS_REGION, the credential chain,',
    'and AWS_ENDPOINT_URL_DYNAMODB / _SQS / _SNS for emulators.',
  ].join('\n');
};

/**
 * Reads the settings from flags and environment variables and validates
 * them. Throws ConfigurationError naming the flag and variable of the first
 * bad value, with what was expected.
 */
const loadSettings = (
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): LocalAwsSettings | 'help' => {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(
          Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]),
        ),
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new ConfigurationError('arguments', `${(error as Error).message} (see --help)`);
  }
  if (flags.help) return 'help';
  const settings: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS)) {
    const raw = flags[setting.flag] ?? env[setting.env];
    const parsed = (setting.schema as z.ZodType).safeParse(raw === '' ? undefined : raw);
    if (!parsed.success) {
      const problem = parsed.error.issues.map((issue) => issue.message).join('; ');
      throw new ConfigurationError(
        `--${setting.flag} / ${setting.env}`,
        `${problem} (got "${String(raw).slice(0, 80)}")`,
      );
    }
    settings[name] = parsed.data;
  }
  return settings as LocalAwsSettings;
};

export type { LocalAwsSettings };
export { helpText, loadSettings, SETTINGS };
