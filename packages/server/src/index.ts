export { StaticKeySource } from '@herald/adapters-node';
export type { ServerConfig } from './config.js';
export { helpText, loadConfig } from './config.js';
export {
  CONNECTION_BUDGET_BYTES,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_MAX_CONNECTIONS_PER_USER,
  defaultMaxConnections,
} from './connection-caps.js';
export type { DevCredentials } from './dev-credentials.js';
export { generateDevCredentials, signDevToken } from './dev-credentials.js';
export type { HeraldServer, HeraldServerCounters, HeraldServerOptions } from './herald-server.js';
export { createHeraldServer } from './herald-server.js';
export type { PrometheusMetrics } from './metrics.js';
export { createPrometheusMetrics } from './metrics.js';
export { CompositeEventPublisher } from './outputs/composite-event-publisher.js';
export type { WebhookOptions } from './outputs/webhook-event-publisher.js';
export { OutputFullError, WebhookEventPublisher } from './outputs/webhook-event-publisher.js';
export { installProcessGuards } from './process-guards.js';
export type { SigV4AccessKey } from './sigv4-verifier.js';
