import { tokenVerifierOptions } from '@herald/adapters-aws/wiring/keys';
import {
  type Clock,
  ConnectionRegistry,
  type ConnectionStore,
  type EventPublisher,
  type HistoryStore,
  type IdempotencyStore,
  type KeySource,
  type MetricsRecorder,
  meteredStore,
  NotificationFanout,
  NotificationHistory,
  type PresenceStore,
  PresenceTracker,
  TokenVerifier,
} from '@herald/domain';
import type { Container } from 'inversify';
import { type LambdaConfig, requireSetting } from '../config.js';
import type { AdapterBinder, GatewayFor } from './adapter-binder.js';
import { TOKENS } from './tokens.js';

// The domain services, one binder each. An entry names the ones its handler
// uses, so its bundle carries only those (the authorizer alone carries jose;
// only the notification handlers carry the fanout).

/** The token verifier, on the key source. */
const bindTokenVerifier: AdapterBinder = (container: Container, config: LambdaConfig) => {
  container
    .bind(TOKENS.TokenVerifier)
    .toResolvedValue(
      (keys: KeySource, clock: Clock) =>
        new TokenVerifier(keys, clock, tokenVerifierOptions(config)),
      [TOKENS.KeySource, TOKENS.Clock],
    );
};

/** The connection registry, on the connection store (metered: `StoreLatency`, `StoreErrors`). */
const bindConnectionRegistry: AdapterBinder = (container: Container, config: LambdaConfig) => {
  container.bind(TOKENS.ConnectionRegistry).toResolvedValue(
    (store: ConnectionStore, clock: Clock, metrics: MetricsRecorder) =>
      new ConnectionRegistry(meteredStore('connections', store, metrics, clock), clock, {
        idleTimeoutMs: config.idleTimeoutMs,
        maxConnectionAgeMs: config.maxConnectionAgeMs,
      }),
    [TOKENS.ConnectionStore, TOKENS.Clock, TOKENS.Metrics],
  );
};

/** The presence tracker, on the presence store (metered) and the event publisher. */
const bindPresenceTracker: AdapterBinder = (container: Container, config: LambdaConfig) => {
  container.bind(TOKENS.PresenceTracker).toResolvedValue(
    (store: PresenceStore, publisher: EventPublisher, clock: Clock, metrics: MetricsRecorder) =>
      new PresenceTracker(meteredStore('presence', store, metrics, clock), publisher, clock, {
        maxConnectionAgeMs: config.maxConnectionAgeMs,
        outboxLeaseMs: config.presenceOutboxLeaseMs,
      }),
    [TOKENS.PresenceStore, TOKENS.EventPublisher, TOKENS.Clock, TOKENS.Metrics],
  );
};

/**
 * The streams' history and idempotent publish, on the history and idempotency
 * stores when a history table is configured; `undefined` without them.
 */
const bindNotificationHistory: AdapterBinder = (container: Container, config: LambdaConfig) => {
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
};

/**
 * The notification fanout, on the registry and the history (bound with it)
 * and the management endpoint's gateway.
 */
const bindNotificationFanout: AdapterBinder = (container: Container, config: LambdaConfig) => {
  bindConnectionRegistry(container, config);
  bindNotificationHistory(container, config);
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
};

export {
  bindConnectionRegistry,
  bindNotificationFanout,
  bindNotificationHistory,
  bindPresenceTracker,
  bindTokenVerifier,
};
