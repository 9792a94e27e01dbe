import { type LambdaHandlerName, namesReadBy, SETTINGS, type SettingName } from './settings.js';

/** Setting values as strings (CDK tokens, flags), by setting name. */
type SettingInputs = { readonly [K in SettingName]?: string | undefined };

/** Environment variables by name, as a Lambda function or a child process takes them. */
type HeraldEnvironment = Record<string, string>;

/** The variables for the given values: each setting's own name, and only those given. */
const environmentOf = (values: SettingInputs): HeraldEnvironment =>
  Object.fromEntries(
    (Object.entries(values) as [SettingName, string | undefined][])
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [SETTINGS[name].env, value as string]),
  );

/**
 * The variables one Lambda handler reads, from the values given: a function
 * gets exactly the settings its handler reads, nothing another one needs.
 */
const environmentFor = (handler: LambdaHandlerName, values: SettingInputs): HeraldEnvironment => {
  const read = new Set<SettingName>(namesReadBy(handler));
  return environmentOf(
    Object.fromEntries(
      (Object.entries(values) as [SettingName, string | undefined][]).filter(([name]) =>
        read.has(name),
      ),
    ) as SettingInputs,
  );
};

export type { HeraldEnvironment, SettingInputs };
export { environmentFor, environmentOf };
