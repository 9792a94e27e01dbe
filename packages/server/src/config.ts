import {
  loadSettings,
  parseCommandLine,
  type Settings,
  helpText as settingsHelp,
} from '@herald/settings';

/** The embedded server's settings: the rows of Herald's settings table that `server` reads. */
type ServerConfig = Settings<'server'>;

const helpText = (): string =>
  settingsHelp('server', {
    usage: 'herald [options]',
    intro: [
      "Starts Herald's embedded server. With no options it listens on 127.0.0.1:8080,",
      'keeps state in memory, and prints a development token and backend key.',
    ],
  });

/**
 * Reads the server's settings from flags and environment variables and
 * validates them all at once. Throws ConfigurationError naming the flag and
 * variable of the first bad value, with what was expected.
 */
const loadConfig = (
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServerConfig | 'help' => {
  const line = parseCommandLine('server', argv);
  if (line.help) return 'help';
  return loadSettings('server', { env, flags: line.values });
};

export type { ServerConfig };
export { helpText, loadConfig };
