/**
 * Service identifiers of the composition root. `Symbol.for`, so that a test
 * container and the production one agree on them across module copies.
 */
const TOKENS = {
  Config: Symbol.for('herald.Config'),
  Clock: Symbol.for('herald.Clock'),
  Logger: Symbol.for('herald.Logger'),
  /** The CloudWatchMetricsRecorder each handler publishes at the end of its invocation. */
  Metrics: Symbol.for('herald.Metrics'),
  /** The DynamoDB document client the stores share. */
  DocumentClient: Symbol.for('herald.DocumentClient'),
  ConnectionStore: Symbol.for('herald.ConnectionStore'),
  PresenceStore: Symbol.for('herald.PresenceStore'),
  EventPublisher: Symbol.for('herald.EventPublisher'),
  KeySource: Symbol.for('herald.KeySource'),
  /** `(endpoint) => ConnectionGateway`, one gateway (and its sockets) per endpoint. */
  GatewayFor: Symbol.for('herald.GatewayFor'),
  /** Enqueues broadcast shard messages. */
  ShardQueue: Symbol.for('herald.ShardQueue'),
  TokenVerifier: Symbol.for('herald.TokenVerifier'),
  ConnectionRegistry: Symbol.for('herald.ConnectionRegistry'),
  PresenceTracker: Symbol.for('herald.PresenceTracker'),
  NotificationFanout: Symbol.for('herald.NotificationFanout'),
  /** Bound only where a history table is configured. */
  HistoryStore: Symbol.for('herald.HistoryStore'),
  /** Bound only where a history table is configured. */
  IdempotencyStore: Symbol.for('herald.IdempotencyStore'),
  /** `NotificationHistory | undefined`: undefined without a history store. */
  NotificationHistory: Symbol.for('herald.NotificationHistory'),
} as const;

export { TOKENS };
