import { ConfigurationError } from '../errors.js';
import type { ConnectionOwner } from '../model/connection.js';
import type { NodeRecord } from '../model/node.js';
import type { Clock } from '../ports/clock.js';
import type { ConnectionGateway } from '../ports/connection-gateway.js';
import type { NodeStore } from '../ports/node-store.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { OwnerDirectory } from './routing-connection-gateway.js';

interface NodeLivenessOptions {
  /** This node: its advertised URL and this process's incarnation. */
  readonly self: { readonly endpoint: string; readonly incarnation: string };
  /** How long a beat keeps the node alive; several beats' worth, so one slow beat is not a death. */
  readonly leaseMs: number;
  /** The gateway holding this node's own sockets. */
  readonly localGateway: ConnectionGateway;
  /** The gateway of another live node: its management API. */
  readonly peerGateway: (endpoint: string) => ConnectionGateway;
  /** Connections read per page while removing a dead node's. @default 500 */
  readonly pageSize?: number;
  /** Told when this node finds it was declared dead (its record was retired or taken over). */
  readonly onEvicted?: (replacedBy: NodeRecord | undefined) => void;
  /** Told after a dead node's connections were removed. */
  readonly onReaped?: (node: NodeRecord, removed: number) => void;
}

/** Every connection, in one listing. */
const ALL = { segment: 0, totalSegments: 1 } as const;

/**
 * Liveness of the embedded nodes sharing one store. Each node beats: it
 * writes its record with a lease, and reads everyone's. A node whose lease
 * has lapsed is dead; the first survivor to retire its record (a
 * conditional delete, so exactly one does) then removes its connections
 * through the registry (`removeConnectionsOf`), whose listener takes their
 * users OFFLINE with one event each. A node restarting under the same URL is
 * a new incarnation: its first beat retires the one it replaced.
 *
 * A beat never waits for a removal: removing a large node's connections can
 * take longer than a lease, and a survivor busy removing must not look dead.
 *
 * It is also the routing gateway's directory: a connection's owner is this
 * node (its own sockets), a live peer (its management API), or dead.
 */
class NodeLiveness implements OwnerDirectory {
  private readonly known = new Map<string, NodeRecord>();
  private readonly startedAt: number;
  private readonly pageSize: number;
  private started = false;

  constructor(
    private readonly nodes: NodeStore,
    private readonly registry: ConnectionRegistry,
    private readonly clock: Clock,
    private readonly options: NodeLivenessOptions,
  ) {
    if (!Number.isInteger(options.leaseMs) || options.leaseMs < 1) {
      throw new ConfigurationError(
        'leaseMs',
        `must be a positive whole number, got ${options.leaseMs}`,
      );
    }
    this.startedAt = clock.now();
    this.pageSize = options.pageSize ?? 500;
  }

  /** The owner this node records on its connections. */
  get owner(): ConnectionOwner {
    return this.options.self;
  }

  /**
   * Writes this node's record, then retires every node whose lease has
   * lapsed; the first beat also retires a previous incarnation under the same
   * URL. Returns the nodes this beat retired: the caller removes their
   * connections (`removeConnectionsOf`), without holding up the next beat.
   */
  async beat(): Promise<readonly NodeRecord[]> {
    const { self } = this.options;
    const now = this.clock.now();
    const previous = await this.nodes.beat({
      endpoint: self.endpoint,
      incarnation: self.incarnation,
      startedAt: this.startedAt,
      heartbeatAt: now,
      leaseExpiresAt: now + this.options.leaseMs,
    });
    const first = !this.started;
    this.started = true;
    const retired: NodeRecord[] = [];
    if (previous !== undefined && previous.incarnation !== self.incarnation) {
      if (first) {
        retired.push(previous);
      } else {
        this.options.onEvicted?.(previous);
      }
    } else if (previous === undefined && !first) {
      this.options.onEvicted?.(undefined);
    }
    const all = await this.nodes.list();
    this.known.clear();
    for (const node of all) this.known.set(node.endpoint, node);
    const at = this.clock.now();
    for (const node of all) {
      if (node.endpoint === self.endpoint || node.leaseExpiresAt > at) continue;
      if (await this.nodes.retire(node)) {
        this.known.delete(node.endpoint);
        retired.push(node);
      }
    }
    return retired;
  }

  /**
   * The other nodes alive now, read from the store (one strongly consistent
   * listing): a node that joined since the last beat is among them.
   */
  async livePeers(): Promise<readonly NodeRecord[]> {
    const all = await this.nodes.list();
    this.known.clear();
    for (const node of all) this.known.set(node.endpoint, node);
    return this.peers();
  }

  /** The other nodes alive at the last beat (or listing). */
  peers(): readonly NodeRecord[] {
    const now = this.clock.now();
    return [...this.known.values()].filter(
      (node) => node.endpoint !== this.options.self.endpoint && node.leaseExpiresAt > now,
    );
  }

  /** Retires this node's own record (a graceful stop): peers stop handing it requests at once. */
  async leave(): Promise<void> {
    const own = await this.nodes.get(this.options.self.endpoint);
    if (own?.incarnation === this.options.self.incarnation) await this.nodes.retire(own);
  }

  async gatewayFor(owner: ConnectionOwner): Promise<ConnectionGateway | 'dead'> {
    const { self } = this.options;
    if (owner.endpoint === self.endpoint) {
      return owner.incarnation === self.incarnation ? this.options.localGateway : 'dead';
    }
    const alive = (node: NodeRecord | undefined) =>
      node !== undefined &&
      node.incarnation === owner.incarnation &&
      node.leaseExpiresAt > this.clock.now();
    if (alive(this.known.get(owner.endpoint))) return this.options.peerGateway(owner.endpoint);
    // The view from the last beat may be older than the owner: ask the store.
    const fresh = await this.nodes.get(owner.endpoint);
    if (fresh === undefined) this.known.delete(owner.endpoint);
    else this.known.set(owner.endpoint, fresh);
    return alive(fresh) ? this.options.peerGateway(owner.endpoint) : 'dead';
  }

  /** Removes every connection a retired node owned; returns how many were removed here. */
  async removeConnectionsOf(node: NodeRecord): Promise<number> {
    let removed = 0;
    let cursor: string | undefined;
    do {
      const page = await this.registry.listAll(
        ALL,
        cursor === undefined ? { limit: this.pageSize } : { limit: this.pageSize, cursor },
      );
      for (const record of page.items) {
        const { owner } = record;
        if (owner?.endpoint !== node.endpoint || owner.incarnation !== node.incarnation) continue;
        if ((await this.registry.disconnect(record.connectionId)) !== undefined) removed++;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    this.options.onReaped?.(node, removed);
    return removed;
  }
}

export type { NodeLivenessOptions };
export { NodeLiveness };
