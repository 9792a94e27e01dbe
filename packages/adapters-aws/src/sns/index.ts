export { PublishError } from '../shared/batches.js';
export type { SnsEventPublisherOptions } from './sns-event-publisher.js';
export { SnsEventPublisher } from './sns-event-publisher.js';
export { unwrapSns } from './unwrap-sns.js';
