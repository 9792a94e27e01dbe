export type {
  EmulatorOptions,
  Emulators,
  QueueOptions,
  TestQueue,
  TestTables,
  TopicOptions,
} from '../emulators/index.js';
export {
  createHistoryTable,
  createQueue,
  createTables,
  createTopicWithQueue,
  emulatorEnvironment,
  JavaMissingError,
  startEmulators,
  uniqueName,
} from '../emulators/index.js';
export type { ProvidingProject } from './emulators.js';
export { provideEmulators } from './emulators.js';
export type { PausableProxy } from './pausable-proxy.js';
export { startPausableProxy } from './pausable-proxy.js';
export type { CollectedMessage } from './queue-collector.js';
export { queueCollector } from './queue-collector.js';
