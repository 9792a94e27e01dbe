export { PublishError } from '../shared/batches.js';
export { sqsClientOptions } from './sqs-client-options.js';
export type { SqsEventPublisherOptions } from './sqs-event-publisher.js';
export { SqsEventPublisher } from './sqs-event-publisher.js';
export type {
  PolledRequest,
  RequestHandler,
  SqsRequestPollerOptions,
} from './sqs-request-poller.js';
export { SqsRequestPoller } from './sqs-request-poller.js';
export { SqsShardQueue } from './sqs-shard-queue.js';
