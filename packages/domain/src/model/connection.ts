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

export type { BroadcastShard, ClientProtocol, ConnectionRecord, Page };
