// The handlers' factories and the composition root, for tests and for other
// composition (the local API Gateway emulation). Lambda runs src/entries/*.
export { bindAwsAdapters } from './composition/aws-adapters.js';
export { bindDynamoDbHistory, bindDynamoDbStores } from './composition/bind-dynamodb.js';
export { bindGateways } from './composition/bind-gateways.js';
export { bindKeySource } from './composition/bind-keys.js';
export { bindOutputs } from './composition/bind-outputs.js';
export { bindShardQueue } from './composition/bind-shard-queue.js';
export { bindClock, binders } from './composition/binders.js';
export type { PublishingMetricsRecorder } from './composition/cloudwatch-metrics.js';
export { CloudWatchMetricsRecorder, publishingMetrics } from './composition/cloudwatch-metrics.js';
export type { AdapterBinder, GatewayFor, Services } from './composition/container.js';
export { createContainer, servicesOf } from './composition/container.js';
export { TOKENS } from './composition/tokens.js';
export type { LambdaConfig } from './config.js';
export { loadConfig, requireSetting } from './config.js';
export { makeAuthorizerHandler } from './handlers/authorizer.js';
export { makeClientActionHandler } from './handlers/client-actions.js';
export { makeConnectHandler, makeDisconnectHandler } from './handlers/connection-lifecycle.js';
export {
  makeNotificationsHandler,
  makeRequestHandler,
  makeTopicNotificationsHandler,
} from './handlers/notifications.js';
export { makePresenceHandler, makePresenceQueryHandler } from './handlers/presence.js';
export type { WebSocketEvent } from './handlers/websocket-event.js';
