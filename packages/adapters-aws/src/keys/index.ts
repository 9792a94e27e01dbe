export type { HttpKeySourceOptions } from './http-key-source.js';
export { HttpKeySource } from './http-key-source.js';
export type { StoredSecretOptions } from './stored-secret-key-source.js';
export { StoredSecretKeySource } from './stored-secret-key-source.js';
