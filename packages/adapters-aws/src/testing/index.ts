export type { Emulators, ProvidingProject } from './emulators.js';
export { provideEmulators, startEmulators } from './emulators.js';
export type { QueueOptions, TestQueue, TestTables, TopicOptions } from './resources.js';
export { createQueue, createTables, createTopicWithQueue, uniqueName } from './resources.js';
