// `@herald/client`: Herald's WebSocket client for browsers and Node.js.

export type { BackoffOptions } from './backoff.js';
export { backoffDelay } from './backoff.js';
export type { ClientErrorCode, ServerErrorCode } from './error-codes.js';
export type {
  ClientClock,
  ClientError,
  ConnectionState,
  HeraldClientEvents,
  HeraldClientOptions,
  Notification,
  PositionStorage,
  StreamResumed,
  WebSocketFactory,
  WebSocketLike,
} from './herald-client.js';
export { HeraldClient } from './herald-client.js';
export type { StreamPosition } from './stream-tracker.js';
