// @herald/adapters-aws/wiring/outputs: the SNS and SQS outputs, routed.
export type { OutputSettings } from './output-routing.js';
export { awsOutputPublisher, outputRoutes } from './output-routing.js';
export { sqsClient } from './sqs-client.js';
