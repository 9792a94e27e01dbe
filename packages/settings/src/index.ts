export type { HeraldEnvironment, SettingInputs } from './environment.js';
export { environmentFor, environmentOf } from './environment.js';
export type { ExtraOption, HelpOptions, TableKind } from './help-text.js';
export {
  helpText,
  lambdaMarkdownRows,
  markdownRows,
  settingsTable,
  withSettingsTable,
} from './help-text.js';
export { historyRetention } from './history-retention.js';
export type { CommandLine, Environment } from './load-settings.js';
export { loadLambdaSettings, loadSettings, parseCommandLine } from './load-settings.js';
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
} from './settings.js';
export { LAMBDA_HANDLERS, lambdaSettingNames, namesReadBy, SETTINGS } from './settings.js';
export { shownValue } from './shown-value.js';
export type { KeySettings, KeySourceChoice, TokenSettings } from './token-settings.js';
export { keySourceChoice, tokenVerifierOptions } from './token-settings.js';
