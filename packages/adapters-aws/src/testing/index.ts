export type { Emulators, ProvidingProject } from './emulators.js';
export { provideEmulators, startEmulators } from './emulators.js';
