/**
 * The gateway that holds a connection's socket, named by its management
 * endpoint: API Gateway's (`https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`)
 * on the serverless stack, an embedded node's advertised URL otherwise. A node
 * also names its incarnation (one per process start), so that a node
 * restarted under the same URL does not claim its predecessor's connections.
 */
interface ConnectionOwner {
  readonly endpoint: string;
  readonly incarnation?: string;
}
/** How a connection receives notifications: `herald.v1` enveloped (absent: the bare `data`, Sumu's). */
type ClientProtocol = 'herald.v1';

/** One live client connection, as the registry stores it. Times are epoch milliseconds. */
interface ConnectionRecord {
  readonly connectionId: string;
  readonly userId: string;
  /** Channels the connection is subscribed to now. */
  readonly channels: readonly string[];
  /** Channels its token allows (`*` for all), kept so any process can authorise a subscribe. */
  readonly allowedChannels: readonly string[];
  readonly connectedAt: number;
  readonly lastSeenAt: number;
  /** After this instant the record counts as absent, whether or not storage has removed it. */
  readonly expiresAt: number;
  /**
   * Who holds the socket. Absent on records written before owners were
   * recorded, and on a single node with no advertised URL: such a connection
   * belongs to the default (local) gateway.
   */
  readonly owner?: ConnectionOwner;
  /** `herald.v1` when the client opted into envelopes; absent, it receives the bare data. */
  readonly protocol?: ClientProtocol;
}

/** One page of a listing; `cursor` is absent on the last page. */
interface Page<T> {
  readonly items: readonly T[];
  readonly cursor?: string;
}

/**
 * One independent part of a broadcast: segment `segment` of `totalSegments`.
 * Shards never overlap, and together they cover every connection.
 */
interface BroadcastShard {
  readonly segment: number;
  readonly totalSegments: number;
}

export type { BroadcastShard, ClientProtocol, ConnectionOwner, ConnectionRecord, Page };
