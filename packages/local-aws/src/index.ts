// The local API Gateway in front of Herald's Lambda handlers, for code and
// tests; the command is `herald-local-aws` (src/cli.ts).
export type { LambdaEmulationOptions, LambdaHandlers } from './lambda-emulation.js';
export { createLambdaEmulation } from './lambda-emulation.js';
export { lambdaHandlers } from './lambda-handlers.js';
export type { LocalAwsConfig, LocalAwsSettings } from './settings.js';
export { helpText, loadLocalAwsConfig } from './settings.js';
export type { StartOptions } from './start-local-aws.js';
export { startLocalAws } from './start-local-aws.js';
