import { namesReadBy, type Reader, SETTINGS, type Setting } from './settings.js';

/** A line of `--help` that is not a setting: a switch of the command itself. */
interface ExtraOption {
  readonly flag: string;
  readonly help: string;
}

interface HelpOptions {
  readonly usage: string;
  /** Lines under the usage line. */
  readonly intro: readonly string[];
  readonly extra?: readonly ExtraOption[];
}

const FLAG_WIDTH = 26;
const ENV_WIDTH = 31;

const meaningOf = (setting: Setting) =>
  setting.shownDefault === undefined
    ? setting.help
    : `${setting.help} (default ${setting.shownDefault})`;

/** `--help` for a command-line reader: every setting it reads, with its variable and default. */
const helpText = (reader: Reader, { usage, intro, extra = [] }: HelpOptions): string => {
  const rows = namesReadBy(reader).map((name) => {
    const setting: Setting = SETTINGS[name];
    return `  ${`--${setting.flag}`.padEnd(FLAG_WIDTH)}${setting.env.padEnd(ENV_WIDTH)}${meaningOf(setting)}`;
  });
  const extras = [...extra, { flag: 'help', help: 'show this text' }].map(
    (option) => `  ${`--${option.flag}`.padEnd(FLAG_WIDTH)}${''.padEnd(ENV_WIDTH)}${option.help}`,
  );
  return [
    `Usage: ${usage}`,
    '',
    ...intro,
    '',
    'Each option can also be set by its environment variable; a flag wins.',
    '',
    `  ${'flag'.padEnd(FLAG_WIDTH)}${'environment variable'.padEnd(ENV_WIDTH)}meaning`,
    ...rows,
    ...extras,
  ].join('\n');
};

/** One README table row per setting `reader` reads: `| flag | variable | default | meaning |`. */
const markdownRows = (reader: Reader): string[] =>
  namesReadBy(reader).map((name) => {
    const setting: Setting = SETTINGS[name];
    return `| \`--${setting.flag}\` | \`${setting.env}\` | ${setting.shownDefault ?? ''} | ${setting.help} |`;
  });

export type { ExtraOption, HelpOptions };
export { helpText, markdownRows };
