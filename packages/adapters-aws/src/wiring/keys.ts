// @herald/adapters-aws/wiring/keys: which key source and TokenVerifier options the settings ask for.
export type { LocalKeySources } from './key-source.js';
export { keySourceFor } from './key-source.js';
export type { KeySettings, KeySourceChoice, TokenSettings } from './token-settings.js';
export { keySourceChoice, tokenVerifierOptions } from './token-settings.js';
