export type { Emulators, ProvidingProject } from './emulators.js';
export { emulatorEnvironment, provideEmulators, startEmulators } from './emulators.js';
export type { CollectedMessage } from './queue-collector.js';
export { queueCollector } from './queue-collector.js';
export type { QueueOptions, TestQueue, TestTables, TopicOptions } from './resources.js';
export {
  createHistoryTable,
  createQueue,
  createTables,
  createTopicWithQueue,
  uniqueName,
} from './resources.js';
