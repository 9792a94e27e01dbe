import { shardOf } from '@herald/adapters-memory';
import type {
  BroadcastShard,
  ClientProtocol,
  ConnectionGateway,
  ConnectionRecord,
  GatewayConnection,
  ListOptions,
  Page,
  PostOutcome,
} from '@herald/domain';
import { WebSocket } from 'ws';

const NO_CHANNELS: readonly string[] = Object.freeze([]);
/** The queue of a connection with nothing in flight, shared by all of them. */
const SETTLED: Promise<void> = Promise.resolve();

/** What a socket is opened with; the rest of a LiveConnection starts from it. */
interface LiveConnectionInit {
  readonly connectionId: string;
  readonly userId: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  readonly protocol: ClientProtocol | undefined;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
  /** Until when (ms) the token is valid: its `exp`. */
  readonly authorizedUntil: number | undefined;
  /** Sends one frame ahead of a reply (a resume's replay); see ClientConnection.deliver. Absent where no replies are framed here. */
  readonly deliver?: (this: LiveConnection, frame: Uint8Array) => Promise<unknown>;
}

/**
 * What the server keeps per live socket. Kept small, since it is paid per
 * connection: every field is set in the constructor (one shape for all), and
 * what a connection record has beyond it is read from the prototype.
 *
 * It is also the connection's record as a broadcast lists it (see
 * WsConnectionGateway.scan): the sockets held here are listed as they are,
 * with no record made per connection per page. Such a record has no channels
 * (a broadcast needs none) and does not expire while its socket is open.
 */
class LiveConnection implements ConnectionRecord {
  readonly connectionId: string;
  readonly userId: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  // Optional fields are still defined (as undefined) on every instance, as
  // class fields are: all connections keep one shape.
  readonly protocol?: ClientProtocol;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
  lastActiveAt: number;
  /** Last time the connection store was told the connection is alive. */
  lastTouchedAt: number;
  /**
   * The per-connection rate limit, as a token bucket kept in one number (the
   * generic cell rate algorithm): the instant by which the actions taken so far
   * are paid back at the rate. 0 for a connection that has taken none.
   */
  rateBusyUntil = 0;
  /** When the connection was last answered `rate_limited`: at most once per second. */
  rateLimitedAt?: number;
  /** Client frames are handled one at a time, in order. */
  queue: Promise<void> = SETTLED;
  /**
   * Until when (ms) the connection's token is valid: its `exp`, moved on by
   * an in-band `refresh`. Past it the sweep closes the connection with 4001.
   */
  authorizedUntil?: number;
  /** Sends one frame ahead of a reply (a resume's replay), called as a method; see ClientConnection.deliver. */
  readonly deliver?: (this: LiveConnection, frame: Uint8Array) => Promise<unknown>;
  /** Its place in the order the gateway lists connections in; set by WsConnectionGateway.add. */
  order = 0;

  constructor(init: LiveConnectionInit) {
    this.connectionId = init.connectionId;
    this.userId = init.userId;
    this.socket = init.socket;
    this.connectedAt = init.connectedAt;
    if (init.protocol !== undefined) this.protocol = init.protocol;
    this.sourceIp = init.sourceIp;
    this.userAgent = init.userAgent;
    this.lastActiveAt = init.connectedAt;
    this.lastTouchedAt = init.connectedAt;
    if (init.authorizedUntil !== undefined) this.authorizedUntil = init.authorizedUntil;
    if (init.deliver !== undefined) this.deliver = init.deliver;
  }

  get channels(): readonly string[] {
    return NO_CHANNELS;
  }

  get allowedChannels(): readonly string[] {
    return NO_CHANNELS;
  }

  get lastSeenAt(): number {
    return this.lastActiveAt;
  }

  get expiresAt(): number {
    return Number.MAX_SAFE_INTEGER;
  }
}

/**
 * A connection whose unsent data exceeds this is not reading: the next send to
 * it (a notification, a reply or an error frame) closes it instead, with 1013
 * (sent, then the socket destroyed at once, since the client reads nothing).
 */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Connections per page of a listing that names no limit. */
const DEFAULT_PAGE = 500;

/** A listing's cursor: the `order` of the last connection of the page before. */
const orderOf = (cursor: string): number => {
  const order = Number(cursor);
  if (!Number.isSafeInteger(order) || order < 0) {
    throw new RangeError(
      `not a cursor of this node's connection listing: ${JSON.stringify(cursor)}`,
    );
  }
  return order;
};

/** Close code for a connection closed because it does not read what it is sent. */
const SLOW_CONSUMER_CLOSE = { code: 1013, reason: 'Try again later: not reading' } as const;

/** Notifications are JSON, so they go out as text frames (browsers get strings, not Blobs). */
const TEXT_FRAME = { binary: false } as const;

interface WsConnectionGatewayOptions {
  /** Unsent bytes a socket may hold before the next send closes it with 1013. @default MAX_BUFFERED_BYTES (4 MiB) */
  readonly maxBufferedBytes?: number;
  /** Told about every connection closed for not reading (for counters and logs). */
  readonly onSlowConsumer?: (connection: LiveConnection) => void;
  /** Told about every frame sent (for metrics). */
  readonly onFrameSent?: () => void;
}

/**
 * ConnectionGateway over the sockets this process holds. It is what the
 * fanout posts through in the embedded server, and what the management API
 * routes (`/@connections/{id}`) serve.
 *
 * `write` is the one path by which anything reaches a socket (notifications,
 * replies, error frames): it checks how much the socket already buffers, so a
 * client that sends without reading cannot grow the server's memory.
 */
class WsConnectionGateway implements ConnectionGateway {
  private readonly live = new Map<string, LiveConnection>();
  /**
   * The connections in the order they were added (ascending `order`), for
   * listings: removed ones stay until more than half the slots are such, and
   * are skipped (a removed connection's socket is no longer open).
   */
  private ordered: LiveConnection[] = [];
  private removedSlots = 0;
  private lastOrder = 0;
  /**
   * The page `scan` last handed out, and the place in it of the next
   * connection expected to be posted: a broadcast posts its targets in the
   * order they were listed, so a post finds its socket here instead of in the
   * map. Any other post looks the connection up.
   */
  private listed: readonly LiveConnection[] = [];
  private nextListed = 0;
  private lastPayload: Uint8Array | undefined;
  private lastBuffer: Buffer = Buffer.alloc(0);
  private readonly maxBufferedBytes: number;
  private slowClosed = 0;

  constructor(private readonly options: WsConnectionGatewayOptions = {}) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
  }

  /** Connections closed so far because they held more unsent data than the bound. */
  get slowConsumersClosed(): number {
    return this.slowClosed;
  }

  /**
   * Sends one text frame, unless the socket already holds more unsent data
   * than the bound: then the connection is closed with 1013 and counted, and
   * `slow` is answered. `closed` when the socket is not open.
   */
  write(connection: LiveConnection, data: string | Buffer): 'sent' | 'slow' | 'closed' {
    const { socket } = connection;
    if (socket.readyState !== WebSocket.OPEN) return 'closed';
    if (socket.bufferedAmount > this.maxBufferedBytes) {
      this.slowClosed += 1;
      // The close frame queues behind what the client does not read, so the
      // socket is destroyed at once: its buffers are what must be freed.
      socket.close(SLOW_CONSUMER_CLOSE.code, SLOW_CONSUMER_CLOSE.reason);
      socket.terminate();
      this.options.onSlowConsumer?.(connection);
      return 'slow';
    }
    socket.send(data, TEXT_FRAME);
    this.options.onFrameSent?.();
    return 'sent';
  }

  add(connection: LiveConnection): void {
    connection.order = ++this.lastOrder;
    this.live.set(connection.connectionId, connection);
    this.ordered.push(connection);
  }

  remove(connectionId: string): void {
    if (!this.live.delete(connectionId)) return;
    this.removedSlots++;
    if (this.removedSlots > 64 && this.removedSlots * 2 > this.ordered.length) {
      // The map keeps insertion order, which is ascending `order`.
      this.ordered = [...this.live.values()];
      this.removedSlots = 0;
    }
  }

  /**
   * The open sockets held here, as connection records (see LiveConnection),
   * in the order they connected; `shard` keeps its segment of them. The
   * cursor is the place after which the next page starts, so connections
   * added or removed between pages neither repeat nor shift a listing: each
   * connection held throughout is listed once.
   */
  scan(shard: BroadcastShard, options: ListOptions = {}): Page<ConnectionRecord> {
    const limit = options.limit ?? DEFAULT_PAGE;
    const sharded = shard.totalSegments > 1;
    const items: LiveConnection[] = [];
    const { ordered } = this;
    let index = options.cursor === undefined ? 0 : this.firstAfter(orderOf(options.cursor));
    for (; index < ordered.length && items.length < limit; index++) {
      const connection = ordered[index] as LiveConnection;
      if (connection.socket.readyState !== WebSocket.OPEN) continue;
      if (sharded && shardOf(connection.connectionId, shard.totalSegments) !== shard.segment) {
        continue;
      }
      items.push(connection);
    }
    this.listed = items;
    this.nextListed = 0;
    const last = items.at(-1);
    return index < ordered.length && last !== undefined
      ? { items, cursor: String(last.order) }
      : { items };
  }

  /** The index of the first connection added after `order` (binary search). */
  private firstAfter(order: number): number {
    const { ordered } = this;
    let low = 0;
    let high = ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((ordered[middle] as LiveConnection).order <= order) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  find(connectionId: string): LiveConnection | undefined {
    return this.live.get(connectionId);
  }

  connections(): IterableIterator<LiveConnection> {
    return this.live.values();
  }

  get size(): number {
    return this.live.size;
  }

  /** Answers synchronously: the socket is right here, so no promise is made per post. */
  post(connectionId: string, payload: Uint8Array): PostOutcome {
    const connection = this.postedNext(connectionId) ?? this.live.get(connectionId);
    if (connection === undefined) return 'gone';
    switch (this.write(connection, this.bufferOf(payload))) {
      case 'sent':
        return 'delivered';
      case 'slow':
        // Not delivered; the socket is closing, so a retry finds it gone.
        return 'throttled';
      case 'closed':
        return 'gone';
    }
  }

  /**
   * The next connection of the last listed page, when that is the one being
   * posted. It may have been removed since: its socket is then not open, and
   * `write` answers `closed`, as a lookup that found nothing would.
   */
  private postedNext(connectionId: string): LiveConnection | undefined {
    const expected = this.listed[this.nextListed];
    if (expected === undefined || expected.connectionId !== connectionId) return undefined;
    this.nextListed++;
    if (this.nextListed === this.listed.length) this.listed = [];
    return expected;
  }

  /**
   * A fanout posts the same bytes to every socket; ws would wrap a Uint8Array
   * in a new Buffer on every send, so the wrapper is made once per payload.
   */
  private bufferOf(payload: Uint8Array): Buffer {
    if (payload !== this.lastPayload) {
      this.lastPayload = payload;
      this.lastBuffer = Buffer.isBuffer(payload)
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    }
    return this.lastBuffer;
  }

  async disconnect(connectionId: string): Promise<'disconnected' | 'gone'> {
    const connection = this.live.get(connectionId);
    if (connection === undefined) return 'gone';
    this.remove(connectionId);
    connection.socket.close(1000, 'Connection deleted');
    return 'disconnected';
  }

  async get(connectionId: string): Promise<GatewayConnection | undefined> {
    const connection = this.live.get(connectionId);
    if (connection === undefined) return undefined;
    return {
      connectionId,
      connectedAt: connection.connectedAt,
      lastActiveAt: connection.lastActiveAt,
      ...(connection.sourceIp === undefined ? {} : { sourceIp: connection.sourceIp }),
      ...(connection.userAgent === undefined ? {} : { userAgent: connection.userAgent }),
    };
  }
}

export type { LiveConnectionInit, WsConnectionGatewayOptions };
export { LiveConnection, MAX_BUFFERED_BYTES, SETTLED, SLOW_CONSUMER_CLOSE, WsConnectionGateway };
