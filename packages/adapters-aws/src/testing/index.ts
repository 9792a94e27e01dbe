export type { Emulators, ProvidingProject } from './emulators.js';
export { emulatorEnvironment, provideEmulators, startEmulators } from './emulators.js';
export type { PausableProxy } from './pausable-proxy.js';
export { startPausableProxy } from './pausable-proxy.js';
export type { CollectedMessage } from './queue-collector.js';
export { queueCollector } from './queue-collector.js';
export type { QueueOptions, TestQueue, TestTables, TopicOptions } from './resources.js';
export { createQueue, createTables, createTopicWithQueue, uniqueName } from './resources.js';
