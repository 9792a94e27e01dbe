/**
 * How a post ended, for the outcomes the domain acts on. `throttled` and
 * `unreachable` (no answer in time, or the socket failed) are transient: the
 * fanout retries them, then carries them to a continuation. Anything else is
 * thrown, and the target fails permanently with the error's code as reason.
 */
type PostOutcome = 'delivered' | 'gone' | 'throttled' | 'unreachable' | 'payload_too_large';

/** What the gateway knows about a live connection. Times are epoch milliseconds. */
interface GatewayConnection {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly lastActiveAt: number;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/** The thing that holds the sockets: API Gateway's management API, or the embedded server. */
interface ConnectionGateway {
  /**
   * Sends one payload, already encoded, to one connection. A gateway that holds
   * the socket itself may answer synchronously; the fanout then handles the
   * outcome without a promise per target, which is what keeps a broadcast
   * from the embedded server close to a plain loop over its sockets.
   */
  post(connectionId: string, payload: Uint8Array): PostOutcome | Promise<PostOutcome>;
  /** Closes a connection. `gone` when it was already closed. */
  disconnect(connectionId: string): Promise<'disconnected' | 'gone'>;
  /** The connection's details, or undefined when it is gone. */
  get(connectionId: string): Promise<GatewayConnection | undefined>;
}

export type { ConnectionGateway, GatewayConnection, PostOutcome };
