import 'reflect-metadata';
import { Logger } from '@aws-lambda-powertools/logger';
import { tokenVerifierOptions } from '@herald/adapters-aws/wiring/keys';
import {
  type Clock,
  type ConnectionGateway,
  ConnectionRegistry,
  type ConnectionStore,
  type EventPublisher,
  type HistoryStore,
  type IdempotencyStore,
  type KeySource,
  NotificationFanout,
  NotificationHistory,
  type PresenceStore,
  PresenceTracker,
  type ShardQueue,
  TokenVerifier,
} from '@herald/domain';
import { Container } from 'inversify';
import { type LambdaConfig, requireSetting } from '../config.js';
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
  container
    .bind(TOKENS.TokenVerifier)
    .toResolvedValue(
      (keys: KeySource, clock: Clock) =>
        new TokenVerifier(keys, clock, tokenVerifierOptions(config)),
      [TOKENS.KeySource, TOKENS.Clock],
    );
  container.bind(TOKENS.ConnectionRegistry).toResolvedValue(
    (store: ConnectionStore, clock: Clock) =>
      new ConnectionRegistry(store, clock, {
        idleTimeoutMs: config.idleTimeoutMs,
        maxConnectionAgeMs: config.maxConnectionAgeMs,
      }),
    [TOKENS.ConnectionStore, TOKENS.Clock],
  );
  container.bind(TOKENS.PresenceTracker).toResolvedValue(
    (store: PresenceStore, publisher: EventPublisher, clock: Clock) =>
      new PresenceTracker(store, publisher, clock, {
        maxConnectionAgeMs: config.maxConnectionAgeMs,
      }),
    [TOKENS.PresenceStore, TOKENS.EventPublisher, TOKENS.Clock],
  );
  container.bind(TOKENS.NotificationHistory).toResolvedValue(
    (history: HistoryStore | undefined, idempotency: IdempotencyStore | undefined, clock: Clock) =>
      history === undefined || idempotency === undefined
        ? undefined
        : new NotificationHistory(history, idempotency, clock, {
            idempotencyWindowMs: config.idempotencyWindowSeconds * 1000,
          }),
    [
      { serviceIdentifier: TOKENS.HistoryStore, optional: true },
      { serviceIdentifier: TOKENS.IdempotencyStore, optional: true },
      TOKENS.Clock,
    ],
  );
  container.bind(TOKENS.NotificationFanout).toResolvedValue(
    (
      registry: ConnectionRegistry,
      gatewayFor: GatewayFor,
      clock: Clock,
      history: NotificationHistory | undefined,
    ) =>
      new NotificationFanout(
        registry,
        gatewayFor(requireSetting(config, 'managementEndpoint')),
        clock,
        {
          broadcastShards: config.broadcastShards,
          concurrency: config.fanoutConcurrency,
          ...(history === undefined ? {} : { history }),
        },
      ),
    [TOKENS.ConnectionRegistry, TOKENS.GatewayFor, TOKENS.Clock, TOKENS.NotificationHistory],
  );
  return container;
};

/** What the handlers are built from; each handler takes only what it uses. */
interface Services {
  readonly config: LambdaConfig;
  readonly logger: Logger;
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
export { createContainer, servicesOf };
