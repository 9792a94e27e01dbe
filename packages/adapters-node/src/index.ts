export { StaticKeySource } from './static-key-source.js';
export { SystemClock } from './system-clock.js';
