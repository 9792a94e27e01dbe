import type { ConnectionGateway, GatewayConnection, PostOutcome } from '@herald/domain';

/** How a connection answers posts, so tests can drive every fanout path. */
type GatewayBehaviour =
  | { readonly kind: 'gone' }
  | { readonly kind: 'payload_too_large' }
  /** Answers throttled for the next `times` posts, then delivers. */
  | { readonly kind: 'throttled'; times: number }
  /** Answers unreachable (no answer in time) for the next `times` posts, then delivers. */
  | { readonly kind: 'unreachable'; times: number }
  /** Throws this error on every post. */
  | { readonly kind: 'error'; readonly error: Error };

interface LiveConnection {
  readonly info: GatewayConnection;
  readonly received: Uint8Array[];
}

const decoder = new TextDecoder();

/**
 * A ConnectionGateway with no network: connections are opened by the test,
 * posts are recorded, and any connection can be told to answer gone,
 * throttled or payload-too-large. It also measures post concurrency.
 */
class InMemoryConnectionGateway implements ConnectionGateway {
  private readonly connections = new Map<string, LiveConnection>();
  private readonly behaviours = new Map<string, GatewayBehaviour>();
  private nextId = 1;
  private inFlight = 0;
  /** Most posts ever in flight at once. */
  maxInFlight = 0;
  /** Every post attempt, in order, with the bytes posted. */
  readonly posts: { readonly connectionId: string; readonly payload: Uint8Array }[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Opens a live connection and returns its id. */
  open(connectionId = `conn-${this.nextId++}`): string {
    const at = this.now();
    this.connections.set(connectionId, {
      info: { connectionId, connectedAt: at, lastActiveAt: at },
      received: [],
    });
    return connectionId;
  }

  /** Sets how a connection answers from now on. */
  behave(connectionId: string, behaviour: GatewayBehaviour): void {
    this.behaviours.set(connectionId, behaviour);
  }

  /** The payloads a connection received, decoded as text. */
  received(connectionId: string): readonly string[] {
    return (this.connections.get(connectionId)?.received ?? []).map((bytes) =>
      decoder.decode(bytes),
    );
  }

  isOpen(connectionId: string): boolean {
    return this.connections.has(connectionId);
  }

  async post(connectionId: string, payload: Uint8Array): Promise<PostOutcome> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.posts.push({ connectionId, payload });
    try {
      await new Promise((resolve) => setImmediate(resolve));
      return this.answer(connectionId, payload);
    } finally {
      this.inFlight--;
    }
  }

  async disconnect(connectionId: string): Promise<'disconnected' | 'gone'> {
    return this.connections.delete(connectionId) ? 'disconnected' : 'gone';
  }

  async get(connectionId: string): Promise<GatewayConnection | undefined> {
    return this.connections.get(connectionId)?.info;
  }

  private answer(connectionId: string, payload: Uint8Array): PostOutcome {
    const behaviour = this.behaviours.get(connectionId);
    switch (behaviour?.kind) {
      case 'gone':
        this.connections.delete(connectionId);
        return 'gone';
      case 'payload_too_large':
        return 'payload_too_large';
      case 'error':
        throw behaviour.error;
      case 'throttled':
      case 'unreachable':
        if (behaviour.times > 0) {
          behaviour.times--;
          return behaviour.kind;
        }
        break;
    }
    const connection = this.connections.get(connectionId);
    if (connection === undefined) return 'gone';
    connection.received.push(payload);
    return 'delivered';
  }
}

export type { GatewayBehaviour };
export { InMemoryConnectionGateway };
