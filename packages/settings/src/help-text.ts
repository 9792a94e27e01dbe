import {
  LAMBDA_HANDLERS,
  lambdaSettingNames,
  namesReadBy,
  type Reader,
  SETTINGS,
  type Setting,
} from './settings.js';

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

/** Two spaces between columns, whatever their widths. */
const GUTTER = 2;

const meaningOf = (setting: Setting) =>
  setting.shownDefault === undefined
    ? setting.help
    : `${setting.help} (default ${setting.shownDefault})`;

/**
 * `--help` for a command-line reader: every setting it reads, with its
 * variable and default, in columns as wide as their longest entry.
 */
const helpText = (reader: Reader, { usage, intro, extra = [] }: HelpOptions): string => {
  const settingRows = namesReadBy(reader).map((name) => {
    const setting: Setting = SETTINGS[name];
    return {
      flag: `--${setting.flag}`,
      env: setting.switch ? `${setting.env}=1` : setting.env,
      meaning: meaningOf(setting),
    };
  });
  const extraRows = [...extra, { flag: 'help', help: 'show this text' }].map((option) => ({
    flag: `--${option.flag}`,
    env: '',
    meaning: option.help,
  }));
  const header = { flag: 'flag', env: 'environment variable', meaning: 'meaning' };
  const rows = [header, ...settingRows, ...extraRows];
  const flagWidth = Math.max(...rows.map((row) => row.flag.length)) + GUTTER;
  const envWidth = Math.max(...rows.map((row) => row.env.length)) + GUTTER;
  return [
    `Usage: ${usage}`,
    '',
    ...intro,
    '',
    'Each option can also be set by its environment variable; a flag wins.',
    '',
    ...rows.map((row) =>
      `  ${row.flag.padEnd(flagWidth)}${row.env.padEnd(envWidth)}${row.meaning}`.trimEnd(),
    ),
  ].join('\n');
};

/** One README table row per setting `reader` reads: `| flag | variable | default | meaning |`. */
const markdownRows = (reader: Reader): string[] =>
  namesReadBy(reader).map((name) => {
    const setting: Setting = SETTINGS[name];
    const env = setting.switch ? `${setting.env}=1` : setting.env;
    return `| \`--${setting.flag}\` | \`${env}\` | ${setting.shownDefault ?? ''} | ${setting.help} |`;
  });

/**
 * One README table row per setting the Lambda handlers read:
 * `| variable | read by | default | meaning |`.
 */
const lambdaMarkdownRows = (): string[] =>
  lambdaSettingNames().map((name) => {
    const setting: Setting = SETTINGS[name];
    const readers = setting.readBy.filter((reader) =>
      (LAMBDA_HANDLERS as readonly Reader[]).includes(reader),
    );
    return `| \`${setting.env}\` | ${readers.join(', ')} | ${setting.shownDefault ?? ''} | ${setting.help} |`;
  });

/** Which table of settings a README shows: a command line's flags, or the Lambda handlers' variables. */
type TableKind = 'server' | 'local-aws' | 'lambda';

/**
 * A README's settings table, between the markers that find it
 * (`<!-- settings:KIND:start -->` … `<!-- settings:KIND:end -->`).
 */
const settingsTable = (kind: TableKind): string => {
  const [header, rows] =
    kind === 'lambda'
      ? ['| variable | read by | default | meaning |', lambdaMarkdownRows()]
      : ['| flag | variable | default | meaning |', markdownRows(kind)];
  return [
    `<!-- settings:${kind}:start -->`,
    header,
    '|---|---|---|---|',
    ...rows,
    `<!-- settings:${kind}:end -->`,
  ].join('\n');
};

/** `markdown` with its settings table of `kind` rewritten from the table. */
const withSettingsTable = (markdown: string, kind: TableKind): string => {
  const start = markdown.indexOf(`<!-- settings:${kind}:start -->`);
  const endMarker = `<!-- settings:${kind}:end -->`;
  const end = markdown.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error(`no settings:${kind} table markers`);
  return markdown.slice(0, start) + settingsTable(kind) + markdown.slice(end + endMarker.length);
};

export type { ExtraOption, HelpOptions, TableKind };
export { helpText, lambdaMarkdownRows, markdownRows, settingsTable, withSettingsTable };
