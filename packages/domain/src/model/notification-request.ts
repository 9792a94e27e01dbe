/** A notification request in Herald's canonical form; every accepted format maps to this. */
interface NotificationRequest {
  readonly users: readonly string[];
  readonly connections: readonly string[];
  readonly channels: readonly string[];
  readonly excludeUsers: readonly string[];
  readonly excludeConnections: readonly string[];
  /** Delivered to the clients as is, JSON-encoded, with no envelope. */
  readonly data: unknown;
  /** Optional idempotency key, carried through to reports and logs. */
  readonly id?: string;
  /** The sending user, when the format names one (room messages). Not excluded from delivery. */
  readonly sender?: string;
}

/** A request with no target in any list is a broadcast to everyone not excluded. */
const isBroadcast = (request: NotificationRequest): boolean =>
  request.users.length === 0 && request.connections.length === 0 && request.channels.length === 0;

export type { NotificationRequest };
export { isBroadcast };
