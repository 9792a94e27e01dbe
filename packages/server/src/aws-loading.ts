import { StaticKeySource } from '@herald/adapters-node';
import { type Clock, ConfigurationError, type KeySource } from '@herald/domain';
import { type KeySourceChoice, SETTINGS, type SettingName } from '@herald/settings';
import type { AwsAdapters, AwsSettings, awsAdapters } from './aws-wiring.js';

/**
 * `@herald/adapters-aws` is an optional peer of the embedded server: it brings
 * the AWS SDK clients, which in-memory use never loads. It is imported only
 * when a setting asks for AWS, and a missing package is a configuration error
 * that names the setting and how to install it.
 */
const AWS_ADAPTERS = '@herald/adapters-aws';

/**
 * Which of the server's AWS settings ask for an AWS adapter. Every field of
 * `AwsSettings` is listed (the type checker insists), so a new AWS setting is
 * sorted here when it is added.
 */
const ASKS_FOR_AWS: Readonly<Record<keyof AwsSettings, boolean>> = {
  connectionsTable: true,
  presenceTable: true,
  outputTopicArn: true,
  outputQueueUrl: true,
  inputQueueUrl: true,
  maxConnectionAgeMs: false,
  storeTimeoutMs: false,
  storeRetries: false,
  historyTable: true,
  historyRetention: false,
};

/** The key sources that live in `@herald/adapters-aws`, by the setting that asks for each. */
const AWS_KEY_SETTINGS: Readonly<
  Record<Exclude<KeySourceChoice['kind'], 'secret' | 'pem'>, SettingName>
> = {
  jwks: 'jwksUrl',
  x509: 'x509Url',
  secretsmanager: 'jwtSecretArn',
  ssm: 'jwtSecretParameter',
};

const settingLabel = (name: string): string => {
  const setting = (SETTINGS as Readonly<Record<string, { flag: string; env: string }>>)[name];
  return setting === undefined ? name : `--${setting.flag} / ${setting.env}`;
};

const isMissingPackage = (error: unknown, name: string): boolean =>
  error instanceof Error &&
  (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
  error.message.includes(`'${name}'`);

/** Imports a module that needs `@herald/adapters-aws`, on behalf of the settings named. */
const importForAws = async <T>(settings: readonly string[], load: () => Promise<T>): Promise<T> => {
  try {
    return await load();
  } catch (error) {
    if (!isMissingPackage(error, AWS_ADAPTERS)) throw error;
    throw new ConfigurationError(
      settings.map(settingLabel).join(', '),
      `needs the optional package ${AWS_ADAPTERS}, which is not installed; install it beside @herald/server (npm install ${AWS_ADAPTERS})`,
      { cause: error },
    );
  }
};

/**
 * The AWS adapters the settings ask for (see `awsAdapters`), or none without
 * loading `@herald/adapters-aws` when no setting asks for AWS.
 */
const loadAwsAdapters = async (
  settings: AwsSettings,
  clock: Clock,
  hooks?: Parameters<typeof awsAdapters>[2],
): Promise<AwsAdapters> => {
  const asked = (Object.keys(ASKS_FOR_AWS) as (keyof AwsSettings)[]).filter(
    (name) => ASKS_FOR_AWS[name] && settings[name] !== undefined,
  );
  if (asked.length === 0) return {};
  const wiring = await importForAws(asked, () => import('./aws-wiring.js'));
  return wiring.awsAdapters(settings, clock, hooks);
};

/**
 * The key source a choice asks for: a secret or a PEM key from
 * `@herald/adapters-node`, anything fetched (JWKS, x509 map, a stored secret)
 * through `@herald/adapters-aws`'s one mapping, loaded only then.
 */
const loadKeySource = async (choice: KeySourceChoice): Promise<KeySource> => {
  if (choice.kind === 'secret') return StaticKeySource.fromSecret(choice.secret);
  if (choice.kind === 'pem') return StaticKeySource.fromPem(choice.pem);
  const { keySourceFor } = await importForAws(
    [AWS_KEY_SETTINGS[choice.kind]],
    () => import('@herald/adapters-aws/wiring/keys'),
  );
  return keySourceFor(choice, StaticKeySource);
};

/**
 * The API Gateway clients a node of a cluster calls the others with
 * (`--advertise-url`), loaded only then.
 */
const loadApiGateway = () =>
  importForAws(['advertiseUrl'], () => import('@herald/adapters-aws/apigateway'));

export { loadApiGateway, loadAwsAdapters, loadKeySource };
