import { parseArgs } from 'node:util';
import { ConfigurationError } from '@herald/domain';
import {
  type LambdaHandlerName,
  type LambdaSettings,
  lambdaSettingNames,
  namesReadBy,
  type Reader,
  SETTINGS,
  type Setting,
  type SettingName,
  type Settings,
} from './settings.js';
import { shownValue } from './shown-value.js';

type Environment = Readonly<Record<string, string | undefined>>;

/** A command line, parsed against the settings its reader takes. */
interface CommandLine {
  readonly help: boolean;
  /** Flag values by setting name. */
  readonly values: Partial<Record<SettingName, string>>;
  /** The extra boolean flags the command declared, by name. */
  readonly switches: Readonly<Record<string, boolean>>;
}

/** The settings that each name a way to verify client tokens; at most one may be set. */
const KEY_SETTINGS: readonly SettingName[] = [
  'jwtSecret',
  'jwtSecretArn',
  'jwtSecretParameter',
  'jwtPublicKey',
  'jwksUrl',
  'x509Url',
];

/**
 * Parses `argv` for the flags of the settings `reader` reads, plus `switches`
 * (boolean flags of the command itself) and `--help`. A leading `--` (what
 * `pnpm run x -- --flag` passes on) is dropped.
 */
const parseCommandLine = (
  reader: Reader,
  argv: readonly string[],
  switches: readonly string[] = [],
): CommandLine => {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const names = namesReadBy(reader);
  let parsed: Record<string, string | boolean | undefined>;
  try {
    parsed = parseArgs({
      args,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(switches.map((name) => [name, { type: 'boolean' as const }])),
        ...Object.fromEntries(
          names.map((name) => {
            const setting: Setting = SETTINGS[name];
            return [
              setting.flag,
              { type: setting.switch ? ('boolean' as const) : ('string' as const) },
            ];
          }),
        ),
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new ConfigurationError('arguments', `${(error as Error).message} (see --help)`);
  }
  const values: Partial<Record<SettingName, string>> = {};
  for (const name of names) {
    const value = parsed[(SETTINGS[name] as Setting).flag];
    if (typeof value === 'string') values[name] = value;
    if (value === true) values[name] = 'true';
  }
  return {
    help: parsed.help === true,
    values,
    switches: Object.fromEntries(switches.map((name) => [name, parsed[name] === true])),
  };
};

const labelOf = (setting: Setting, withFlag: boolean) =>
  withFlag ? `--${setting.flag} / ${setting.env}` : setting.env;

/**
 * Validates the named settings from flags (which win) and environment
 * variables, all at once. Throws a ConfigurationError naming the flag and
 * variable of the first bad value and what was expected; a secret is never
 * echoed, nor credentials inside a URL.
 */
const validate = (
  names: readonly SettingName[],
  env: Environment,
  flags: Partial<Record<SettingName, string>>,
  withFlags: boolean,
): Record<string, unknown> => {
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const setting: Setting = SETTINGS[name];
    const raw = flags[name] ?? env[setting.env];
    if (raw === undefined || raw === '') {
      // Not given: its default, copied so that no caller shares (or changes) the table's.
      values[name] = Array.isArray(setting.default) ? [...setting.default] : setting.default;
      continue;
    }
    const parsed = setting.schema().safeParse(raw);
    if (!parsed.success) {
      const problem = parsed.error.issues.map((issue) => issue.message).join('; ');
      throw new ConfigurationError(
        labelOf(setting, withFlags),
        `${problem} (got "${shownValue(setting, raw)}")`,
      );
    }
    values[name] = parsed.data;
  }
  const keys = KEY_SETTINGS.filter((name) => names.includes(name) && values[name] !== undefined);
  if (keys.length > 1) {
    throw new ConfigurationError(
      keys.map((name) => SETTINGS[name].env).join(' / '),
      'give one way to verify client tokens, not several',
    );
  }
  return values;
};

/** The settings a command-line reader (the server, the local API Gateway) reads. */
const loadSettings = <R extends Reader>(
  reader: R,
  source: { readonly env: Environment; readonly flags?: Partial<Record<SettingName, string>> },
): Settings<R> =>
  validate(namesReadBy(reader), source.env, source.flags ?? {}, true) as Settings<R>;

/**
 * The settings of a Lambda container, validated once, at init. Given the
 * handler, only the settings it reads (their `readBy` names it): a cold start
 * builds and checks those schemas and no others. Reading any other Lambda
 * setting from the result is a mistake in the settings table, and throws a
 * ConfigurationError naming the variable and the handler, where a silent
 * `undefined` would drop the setting's default. Without a handler, every
 * setting any Lambda reads (the local API Gateway runs all the handlers).
 */
const loadLambdaSettings = (env: Environment, handler?: LambdaHandlerName): LambdaSettings => {
  if (handler === undefined)
    return validate(lambdaSettingNames(), env, {}, false) as LambdaSettings;
  const values = validate(namesReadBy(handler), env, {}, false);
  for (const name of lambdaSettingNames()) {
    if (Object.hasOwn(values, name)) continue;
    Object.defineProperty(values, name, {
      enumerable: false,
      get() {
        throw new ConfigurationError(
          SETTINGS[name].env,
          `is not read by the ${handler} handler; add it to the setting's readBy`,
        );
      },
    });
  }
  return values as LambdaSettings;
};

export type { CommandLine, Environment };
export { loadLambdaSettings, loadSettings, parseCommandLine };
