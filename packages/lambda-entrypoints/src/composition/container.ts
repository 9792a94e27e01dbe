// inversify's container reads metadata through the lite polyfill, and imports it
// itself; the full `reflect-metadata` would be a second, unused copy (13 KiB per bundle).
import 'reflect-metadata/lite';
import { Logger } from '@aws-lambda-powertools/logger';
import type {
  ConnectionRegistry,
  EventPublisher,
  NotificationFanout,
  NotificationHistory,
  PresenceTracker,
  ShardQueue,
  TokenVerifier,
} from '@herald/domain';
import { Container } from 'inversify';
import type { LambdaConfig } from '../config.js';
import type { AdapterBinder, GatewayFor } from './adapter-binder.js';
import { bindNotificationFanout, bindPresenceTracker, bindTokenVerifier } from './bind-services.js';
import { CloudWatchMetricsRecorder, type PublishingMetricsRecorder } from './cloudwatch-metrics.js';
import { TOKENS } from './tokens.js';

/**
 * A container with the configuration and the logger, and what `bind` adds:
 * the adapters and services an entry names. Everything is a singleton,
 * resolved once per Lambda container at init.
 */
const composeContainer = (config: LambdaConfig, bind: AdapterBinder): Container => {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(new Logger({ serviceName: 'herald' }));
  bind(container, config);
  // CloudWatch EMF unless the binder chose another recorder (the local stack's Prometheus one).
  if (!container.isBound(TOKENS.Metrics))
    container.bind(TOKENS.Metrics).toConstantValue(new CloudWatchMetricsRecorder());
  return container;
};

/**
 * The composition root with every domain service: the only place that knows
 * which adapter serves which port. Services are plain domain classes built by
 * `toResolvedValue` factories (bind-services.ts), so the domain carries no
 * decorators. For tests and the local API Gateway; a Lambda entry composes
 * only what its handler uses.
 */
const createContainer = (config: LambdaConfig, bindAdapters: AdapterBinder): Container =>
  composeContainer(config, (container, config) => {
    bindAdapters(container, config);
    bindTokenVerifier(container, config);
    bindPresenceTracker(container, config);
    bindNotificationFanout(container, config);
  });

/** What the handlers are built from; each handler takes only what it uses. */
interface Services {
  readonly config: LambdaConfig;
  readonly logger: Logger;
  /** Told what the handlers and stores do; each entry publishes it when its invocation ends. */
  readonly metrics: PublishingMetricsRecorder;
  readonly verifier: () => TokenVerifier;
  readonly registry: () => ConnectionRegistry;
  readonly tracker: () => PresenceTracker;
  readonly fanout: () => NotificationFanout;
  readonly publisher: () => EventPublisher;
  readonly gatewayFor: () => GatewayFor;
  readonly shardQueue: () => ShardQueue;
  /** The streams' history, when a history table is configured. */
  readonly history: () => NotificationHistory | undefined;
}

/** Accessors over a container; a handler's entry calls the ones it needs, once, at init. */
const servicesOf = (container: Container): Services => ({
  config: container.get(TOKENS.Config),
  logger: container.get(TOKENS.Logger),
  metrics: container.get(TOKENS.Metrics),
  verifier: () => container.get(TOKENS.TokenVerifier),
  registry: () => container.get(TOKENS.ConnectionRegistry),
  tracker: () => container.get(TOKENS.PresenceTracker),
  fanout: () => container.get(TOKENS.NotificationFanout),
  publisher: () => container.get(TOKENS.EventPublisher),
  gatewayFor: () => container.get(TOKENS.GatewayFor),
  shardQueue: () => container.get(TOKENS.ShardQueue),
  history: () => container.get(TOKENS.NotificationHistory),
});

export type { AdapterBinder, GatewayFor, Services };
export { composeContainer, createContainer, servicesOf };
