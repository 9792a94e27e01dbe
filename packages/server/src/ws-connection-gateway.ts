import type { ConnectionGateway, GatewayConnection, PostOutcome } from '@herald/domain';
import { WebSocket } from 'ws';

/** What the server keeps per live socket. Kept small: it is paid per connection. */
interface LiveConnection {
  readonly connectionId: string;
  readonly userId: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  /** Last time the connection store was told the connection is alive. */
  lastTouchedAt: number;
  /**
   * The per-connection rate limit, as a token bucket kept in one number (the
   * generic cell rate algorithm): the instant by which the actions taken so far
   * are paid back at the rate. 0 for a connection that has taken none.
   */
  rateBusyUntil: number;
  /** When the connection was last answered `rate_limited`: at most once per second. */
  rateLimitedAt?: number;
  /** Client frames are handled one at a time, in order. */
  queue: Promise<void>;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
  /**
   * Until when (ms) the connection's token is valid: its `exp`, moved on by
   * an in-band `refresh`. Past it the sweep closes the connection with 4001.
   */
  authorizedUntil?: number;
  /** Sends one frame ahead of a reply (a resume's replay), called as a method; see ClientConnection.deliver. */
  deliver?(frame: Uint8Array): Promise<unknown>;
}

/**
 * A connection whose unsent data exceeds this is not reading: the next send to
 * it (a notification, a reply or an error frame) closes it instead, with 1013
 * (sent, then the socket destroyed at once, since the client reads nothing).
 */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

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
    this.live.set(connection.connectionId, connection);
  }

  remove(connectionId: string): void {
    this.live.delete(connectionId);
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
    const connection = this.live.get(connectionId);
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
    this.live.delete(connectionId);
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

export type { LiveConnection, WsConnectionGatewayOptions };
export { MAX_BUFFERED_BYTES, SLOW_CONSUMER_CLOSE, WsConnectionGateway };
