import 'reflect-metadata';
import { Logger } from '@aws-lambda-powertools/logger';
import { tokenVerifierOptions } from '@herald/adapters-aws/wiring/keys';
import {
  type Clock,
  type ConnectionGateway,
  ConnectionRegistry,
  type ConnectionStore,
  type EventPublisher,
  type KeySource,
  meteredStore,
  NotificationFanout,
  type PresenceStore,
  PresenceTracker,
  type ShardQueue,
  TokenVerifier,
} from '@herald/domain';
import { Container } from 'inversify';
import { type LambdaConfig, requireSetting } from '../config.js';
import { CloudWatchMetricsRecorder, type PublishingMetricsRecorder } from './cloudwatch-metrics.js';
import { TOKENS } from './tokens.js';

/** Binds the ports: AWS adapters in Lambda, memory adapters in tests. */
type AdapterBinder = (container: Container, config: LambdaConfig) => void;

type GatewayFor = (endpoint: string) => ConnectionGateway;

/**
 * The composition root: the only place that knows which adapter serves which
 * port. Services are plain domain classes built by `toResolvedValue`
 * factories, so the domain carries no decorators. Everything is a singleton,
 * resolved once per Lambda container at init.
 */
const createContainer = (config: LambdaConfig, bindAdapters: AdapterBinder): Container => {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(new Logger({ serviceName: 'herald' }));
  bindAdapters(container, config);
  // CloudWatch EMF unless the binder chose another recorder (the local stack's Prometheus one).
  if (!container.isBound(TOKENS.Metrics))
    container.bind(TOKENS.Metrics).toConstantValue(new CloudWatchMetricsRecorder());
  container
    .bind(TOKENS.TokenVerifier)
    .toResolvedValue(
      (keys: KeySource, clock: Clock) =>
        new TokenVerifier(keys, clock, tokenVerifierOptions(config)),
      [TOKENS.KeySource, TOKENS.Clock],
    );
  container.bind(TOKENS.ConnectionRegistry).toResolvedValue(
    (store: ConnectionStore, clock: Clock, metrics: PublishingMetricsRecorder) =>
      new ConnectionRegistry(meteredStore('connections', store, metrics, clock), clock, {
        idleTimeoutMs: config.idleTimeoutMs,
        maxConnectionAgeMs: config.maxConnectionAgeMs,
      }),
    [TOKENS.ConnectionStore, TOKENS.Clock, TOKENS.Metrics],
  );
  container.bind(TOKENS.PresenceTracker).toResolvedValue(
    (
      store: PresenceStore,
      publisher: EventPublisher,
      clock: Clock,
      metrics: PublishingMetricsRecorder,
    ) =>
      new PresenceTracker(meteredStore('presence', store, metrics, clock), publisher, clock, {
        maxConnectionAgeMs: config.maxConnectionAgeMs,
      }),
    [TOKENS.PresenceStore, TOKENS.EventPublisher, TOKENS.Clock, TOKENS.Metrics],
  );
  container.bind(TOKENS.NotificationFanout).toResolvedValue(
    (registry: ConnectionRegistry, gatewayFor: GatewayFor, clock: Clock) =>
      new NotificationFanout(
        registry,
        gatewayFor(requireSetting(config, 'managementEndpoint')),
        clock,
        {
          broadcastShards: config.broadcastShards,
          concurrency: config.fanoutConcurrency,
        },
      ),
    [TOKENS.ConnectionRegistry, TOKENS.GatewayFor, TOKENS.Clock],
  );
  return container;
};

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
});

export type { AdapterBinder, GatewayFor, Services };
export { createContainer, servicesOf };
