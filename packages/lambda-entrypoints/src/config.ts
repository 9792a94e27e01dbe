import { ConfigurationError } from '@herald/domain';
import {
  type LambdaHandlerName,
  type LambdaSettingName,
  type LambdaSettings,
  loadLambdaSettings,
  SETTINGS,
} from '@herald/settings';

/**
 * Every setting a Herald Lambda reads, from Herald's one settings table.
 * Each handler needs only some of them; `requireSetting` names the missing
 * variable when it does.
 */
type LambdaConfig = LambdaSettings;

/**
 * Validates the environment once, at init: given a handler, the settings it
 * reads; otherwise every Lambda setting. A bad value fails with the
 * variable's name and what was expected.
 */
const loadConfig = (
  env: Readonly<Record<string, string | undefined>>,
  handler?: LambdaHandlerName,
): LambdaConfig => loadLambdaSettings(env, handler);

/** The value of a setting this handler cannot work without. */
const requireSetting = <K extends LambdaSettingName>(
  config: LambdaConfig,
  name: K,
): NonNullable<LambdaConfig[K]> => {
  const value = config[name];
  if (value === undefined || value === null)
    throw new ConfigurationError(SETTINGS[name].env, 'is required by this handler');
  return value as NonNullable<LambdaConfig[K]>;
};

export type { LambdaConfig };
export { loadConfig, requireSetting };
