export type { Emulators } from './emulators.js';
export { startEmulators } from './emulators.js';
