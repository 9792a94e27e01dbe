export type { TokenDenialReason, WireError } from './errors.js';
export {
  ChannelNotAllowedError,
  ConcurrencyConflictError,
  ConfigurationError,
  ConnectionNotFoundError,
  errorFrame,
  HeraldError,
  InternalError,
  KeySourceError,
  MethodNotAllowedError,
  NotFoundError,
  OutputUnavailableError,
  PayloadTooLargeError,
  RateLimitedError,
  StoreUnavailableError,
  StreamNotAllowedError,
  storeRetryAfterSeconds,
  TOKEN_DENIAL_REASONS,
  TokenDeniedError,
  TokenUserMismatchError,
  TooManyChannelsError,
  UnauthorizedError,
  UnknownActionError,
  ValidationError,
  wireError,
} from './errors.js';
export { keySetFromJwks, keySetFromX509Map } from './keys/key-sets.js';
export type { Limits } from './limits.js';
export { LIMITS } from './limits.js';
export { METRIC_NAMES, METRICS_NAMESPACE } from './metric-names.js';
export type { ClientAction, ClientFrame } from './model/client-frame.js';
export { CLIENT_ACTIONS } from './model/client-frame.js';
export type {
  BroadcastShard,
  ConnectionOwner,
  ConnectionRecord,
  Page,
} from './model/connection.js';
export type {
  Continuation,
  ContinuationMessage,
  DeliveryFailure,
} from './model/continuation.js';
export type { ClientProtocol, EnvelopeSource } from './model/envelope.js';
export { ENVELOPE_PROTOCOL, envelopeText } from './model/envelope.js';
export type {
  ClientMessageEvent,
  OutboundEvent,
  PresenceEvent,
  PresenceStatus,
  WireMessage,
} from './model/events.js';
export {
  clientMessageAttributes,
  presenceAttributes,
  presenceBody,
  toWireMessage,
} from './model/events.js';
export { isLoopback } from './model/loopback.js';
export type { NodeRecord } from './model/node.js';
export type { NotificationRequest } from './model/notification-request.js';
export { isBroadcast } from './model/notification-request.js';
export { portableJson, portableJsonText } from './model/portable-json.js';
export type { Principal } from './model/principal.js';
export { ANY_CHANNEL, allowsChannel } from './model/principal.js';
export type {
  HistoryEntry,
  HistoryRetention,
  NotificationStamp,
  RetentionPolicy,
  StreamKind,
  StreamPosition,
} from './model/stream.js';
export {
  BROADCAST_STREAM,
  channelStream,
  DEFAULT_HISTORY_RETENTION,
  mayRead,
  retentionOf,
  streamKind,
  streamsOf,
  userStream,
} from './model/stream.js';
export type { FrameError } from './parsing/client-frame-parser.js';
export { parseClientFrame, validateChannel } from './parsing/client-frame-parser.js';
export type {
  InboundAccepts,
  InboundError,
  InboundNotification,
} from './parsing/inbound-notification.js';
export { parseInboundNotification } from './parsing/inbound-notification.js';
export type { RequestFormat } from './parsing/notification-request-parser.js';
export {
  MAX_REQUEST_BYTES,
  parseNotificationBatch,
  parseNotificationRequest,
  parseNotificationRequestText,
} from './parsing/notification-request-parser.js';
export type {
  DeadLetterMessage,
  QueuedNotification,
  RefusalReason,
} from './parsing/queued-notification.js';
export {
  encodeDeadLetterMessage,
  parseQueuedNotification,
  RefusedMessageError,
} from './parsing/queued-notification.js';
export type { HeraldEnvelope, ShardMessage } from './parsing/shard-envelope.js';
export {
  decodeHeraldEnvelope,
  decodeNotificationStamp,
  decodeShardMessage,
  encodeContinuationMessage,
  encodeShardMessage,
  isShardMessage,
} from './parsing/shard-envelope.js';
export type { ConnectRequest, PresentedToken, TokenCarrier } from './parsing/token-carriers.js';
export {
  DEFAULT_IDENTITY_SOURCE,
  missingIdentitySource,
  presentedToken,
  requestedProtocol,
} from './parsing/token-carriers.js';
export type { Clock } from './ports/clock.js';
export type {
  ConnectionGateway,
  GatewayConnection,
  PostOutcome,
} from './ports/connection-gateway.js';
export type { ChannelAdded, ConnectionStore, ListOptions } from './ports/connection-store.js';
export type { EventPublisher } from './ports/event-publisher.js';
export type { HistoryRead, HistoryStore, NewHistoryEntry } from './ports/history-store.js';
export type { IdempotencyStore } from './ports/idempotency-store.js';
export type { JsonWebKeyLike, KeySet, KeySource, VerificationKey } from './ports/key-source.js';
export type {
  DeliveryOutcome,
  MetricsRecorder,
  NotificationOutcome,
} from './ports/metrics-recorder.js';
export type { NodeStore } from './ports/node-store.js';
export type {
  OutboxEntry,
  PresenceRecord,
  PresenceSnapshot,
  PresenceStore,
  PresenceUpdate,
} from './ports/presence-store.js';
export type { ShardQueue } from './ports/shard-queue.js';
export type { Result } from './result.js';
export { err, ok } from './result.js';
export { runBounded } from './services/bounded-pool.js';
export type {
  ClientActionIncident,
  ClientActionsOptions,
  ClientConnection,
  ClientReply,
  ResumedStream,
} from './services/client-actions.js';
export { ClientActions } from './services/client-actions.js';
export type {
  ConnectionLifecycleListener,
  ConnectionRegistryOptions,
} from './services/connection-registry.js';
export { ConnectionRegistry, presenceRefreshDue } from './services/connection-registry.js';
export {
  DELIVERY_OUTCOMES,
  meteredStore,
  NO_METRICS,
  notificationOutcomeOf,
  recordDelivery,
} from './services/metering.js';
export type { NodeLivenessOptions } from './services/node-liveness.js';
export { NodeLiveness } from './services/node-liveness.js';
export type {
  CarriedTargets,
  DeliverOptions,
  DeliveryReport,
  NotificationFanoutOptions,
  RetryPolicy,
  ShardResume,
  ShardRunOptions,
} from './services/notification-fanout.js';
export {
  duplicateReport,
  emptyReport,
  mergeReports,
  NotificationFanout,
} from './services/notification-fanout.js';
export type {
  NotificationHistoryOptions,
  RecordOutcome,
  StreamReplay,
} from './services/notification-history.js';
export { NotificationHistory } from './services/notification-history.js';
export type {
  CarrySummary,
  IntakeOutcome,
  NotificationIntakeOptions,
  OutcomeLog,
} from './services/notification-intake.js';
export {
  DeliveryExhaustedError,
  NotificationIntake,
  outcomeLog,
  undeliveredCount,
  undeliveredSample,
} from './services/notification-intake.js';
export type { PresenceFact, PresencePlan, Transition } from './services/presence-state.js';
export {
  applyPresenceFact,
  applyPresenceUpdate,
  DEFAULT_OUTBOX_LEASE_MS,
  earliestLease,
  emptyRecord,
  outboxCleared,
  outboxReleased,
  planPresenceFact,
  snapshotOfRecord,
} from './services/presence-state.js';
export type { PresenceTrackerOptions, UserPresence } from './services/presence-tracker.js';
export { PresenceTracker } from './services/presence-tracker.js';
export type { EventRoutes } from './services/routed-event-publisher.js';
export { RoutedEventPublisher } from './services/routed-event-publisher.js';
export type {
  LocalGateway,
  OwnerDirectory,
  RoutingConnectionGatewayOptions,
} from './services/routing-connection-gateway.js';
export { RoutingConnectionGateway } from './services/routing-connection-gateway.js';
export type { TokenVerifierOptions } from './services/token-verifier.js';
export {
  HMAC_ALGORITHMS,
  MAX_NUMERIC_DATE_SECONDS,
  SUPPORTED_ALGORITHMS,
  TokenVerifier,
} from './services/token-verifier.js';
