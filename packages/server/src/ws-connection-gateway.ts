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
  /** Token bucket of the per-connection rate limit. */
  tokens: number;
  refilledAt: number;
  /** Client frames are handled one at a time, in order. */
  queue: Promise<void>;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
}

/** A connection whose unsent data exceeds this is slow: posts answer throttled, as API Gateway does. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Notifications are JSON, so they go out as text frames (browsers get strings, not Blobs). */
const TEXT_FRAME = { binary: false } as const;

/**
 * ConnectionGateway over the sockets this process holds. It is what the
 * fanout posts through in the embedded server, and what the management API
 * routes (`/@connections/{id}`) serve.
 */
class WsConnectionGateway implements ConnectionGateway {
  private readonly live = new Map<string, LiveConnection>();
  private lastPayload: Uint8Array | undefined;
  private lastBuffer: Buffer = Buffer.alloc(0);

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
    if (connection === undefined || connection.socket.readyState !== WebSocket.OPEN) return 'gone';
    if (connection.socket.bufferedAmount > MAX_BUFFERED_BYTES) return 'throttled';
    connection.socket.send(this.bufferOf(payload), TEXT_FRAME);
    return 'delivered';
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

export type { LiveConnection };
export { MAX_BUFFERED_BYTES, WsConnectionGateway };
