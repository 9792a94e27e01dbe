export type { HttpKeySourceOptions } from './http-key-source.js';
export { HttpKeySource } from './http-key-source.js';
