import type { ConnectionOwner } from '../model/connection.js';
import type {
  ConnectionGateway,
  GatewayConnection,
  PostOutcome,
} from '../ports/connection-gateway.js';
import type { ConnectionStore } from '../ports/connection-store.js';

/**
 * Maps a connection's owner to the gateway that holds its socket. `dead` when
 * the owner is known to be gone for good (a node whose lease lapsed, or a
 * previous incarnation of a restarted node): its connections are gone too.
 */
interface OwnerDirectory {
  gatewayFor(
    owner: ConnectionOwner,
  ): ConnectionGateway | 'dead' | Promise<ConnectionGateway | 'dead'>;
}

/** A gateway holding some sockets in this process, asked first and without a read. */
interface LocalGateway {
  readonly gateway: ConnectionGateway;
  holds(connectionId: string): boolean;
}

interface RoutingConnectionGatewayOptions {
  /**
   * Where connections whose record names no owner go: records written before
   * owners were recorded, or by a single node with no advertised URL. On a
   * node this is its own gateway; on AWS, the stage's API Gateway.
   */
  readonly fallback: ConnectionGateway;
  /** Sockets held here: a post to one of them skips the store. @default none */
  readonly local?: LocalGateway;
}

/**
 * A ConnectionGateway over several gateways, which posts to each connection
 * through the gateway that owns it: several embedded nodes, or several API
 * Gateway stages, sharing one connections table look to the domain like one
 * gateway.
 *
 * Only the owner's `gone` is believed: a connection is answered `gone` (and
 * so removed by the fanout) when its owner says so, when its owner is known
 * dead, or when its record is no longer stored. A connection held here is
 * posted to directly, synchronously; any other costs one strongly consistent
 * read of its record to find its owner, then one call to that owner.
 */
class RoutingConnectionGateway implements ConnectionGateway {
  private readonly fallback: ConnectionGateway;
  private readonly local: LocalGateway | undefined;

  constructor(
    private readonly store: ConnectionStore,
    private readonly directory: OwnerDirectory,
    options: RoutingConnectionGatewayOptions,
  ) {
    this.fallback = options.fallback;
    this.local = options.local;
  }

  post(connectionId: string, payload: Uint8Array): PostOutcome | Promise<PostOutcome> {
    if (this.local?.holds(connectionId)) return this.local.gateway.post(connectionId, payload);
    return this.ownerOf(connectionId).then((gateway) =>
      gateway === undefined ? 'gone' : gateway.post(connectionId, payload),
    );
  }

  async disconnect(connectionId: string): Promise<'disconnected' | 'gone'> {
    if (this.local?.holds(connectionId)) return this.local.gateway.disconnect(connectionId);
    const gateway = await this.ownerOf(connectionId);
    return gateway === undefined ? 'gone' : gateway.disconnect(connectionId);
  }

  async get(connectionId: string): Promise<GatewayConnection | undefined> {
    if (this.local?.holds(connectionId)) return this.local.gateway.get(connectionId);
    const gateway = await this.ownerOf(connectionId);
    return gateway === undefined ? undefined : gateway.get(connectionId);
  }

  /** The owner's gateway; undefined when the connection is not stored or its owner is dead. */
  private async ownerOf(connectionId: string): Promise<ConnectionGateway | undefined> {
    const record = await this.store.get(connectionId);
    if (record === undefined) return undefined;
    if (record.owner === undefined) return this.fallback;
    const gateway = await this.directory.gatewayFor(record.owner);
    return gateway === 'dead' ? undefined : gateway;
  }
}

export type { LocalGateway, OwnerDirectory, RoutingConnectionGatewayOptions };
export { RoutingConnectionGateway };
