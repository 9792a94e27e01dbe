import {
  type Environment,
  environmentOf,
  loadSettings,
  parseCommandLine,
  type Settings,
  helpText as settingsHelp,
} from '@herald/settings';

/** herald-local-aws's settings: its listener and the Lambda functions' own, from Herald's settings table. */
type LocalAwsSettings = Settings<'local-aws'>;

interface LocalAwsConfig {
  readonly settings: LocalAwsSettings;
  /**
   * The environment the handlers are composed from: the process's, with
   * every flag given turned into its variable, so a flag reaches the
   * handlers exactly as its variable would.
   */
  readonly handlerEnv: Environment;
}

const helpText = (): string =>
  [
    settingsHelp('local-aws', {
      usage: 'herald-local-aws [options]',
      intro: [
        "Runs Herald's Lambda handlers, composed as the deployed functions are, behind a",
        'local API Gateway WebSocket API, and stands in for their event sources: the',
        "notifications queue and the connections table's stream. State and queues are",
        'DynamoDB and SQS: DynamoDB Local and fauxqs, LocalStack, or real AWS. The',
        'connections and presence tables and the notifications queue are required;',
        'without a token key, a development secret is generated and a token printed.',
      ],
    }),
    '',
    'The AWS SDK clients are configured the standard way: AWS_REGION, the credential chain,',
    'and AWS_ENDPOINT_URL_DYNAMODB / _SQS / _SNS for emulators.',
    '',
    '"herald-local-aws dev" starts DynamoDB Local and fauxqs too, and creates the tables,',
    'queues and topics: the whole stack in one command (herald-local-aws dev --help).',
  ].join('\n');

/**
 * Reads the settings from flags and environment variables and validates
 * them. Throws ConfigurationError naming the flag and variable of the first
 * bad value, with what was expected.
 */
const loadLocalAwsConfig = (argv: readonly string[], env: Environment): LocalAwsConfig | 'help' => {
  const line = parseCommandLine('local-aws', argv);
  if (line.help) return 'help';
  const handlerEnv = { ...env, ...environmentOf(line.values) };
  return { settings: loadSettings('local-aws', { env: handlerEnv }), handlerEnv };
};

export type { LocalAwsConfig, LocalAwsSettings };
export { helpText, loadLocalAwsConfig };
