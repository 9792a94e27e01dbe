// @herald/adapters-aws/wiring/keys: which key source and TokenVerifier options the settings ask for.
// The choice itself is made in @herald/settings (it needs no adapter, so the
// embedded server makes it without this package); it is re-exported here for
// the composition roots that build the key source.
export type { KeySettings, KeySourceChoice, TokenSettings } from '@herald/settings';
export { keySourceChoice, tokenVerifierOptions } from '@herald/settings';
export type { LocalKeySources } from './key-source.js';
export { keySourceFor } from './key-source.js';
