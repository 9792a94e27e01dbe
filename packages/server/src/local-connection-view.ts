import type {
  BroadcastShard,
  ChannelAdded,
  ConnectionRecord,
  ConnectionStore,
  ListOptions,
  Page,
} from '@herald/domain';
import type { WsConnectionGateway } from './ws-connection-gateway.js';

/**
 * The connection store, seen by a node delivering to its own sockets.
 *
 * A broadcast lists the sockets held here, not the store: each node reads its
 * own memory, and no node scans a shared table. Those records are the
 * sockets' own (see LiveConnection): id, user, protocol and times, and no
 * channels, which a broadcast does not need.
 *
 * When the store is shared with other nodes (`shared`), the listings by user
 * and by channel keep only the connections whose sockets this node holds, so
 * each connection is posted by its owner alone, and a post's `gone` comes
 * from the socket's holder. Writes always go to the store.
 */
class LocalConnectionView implements ConnectionStore {
  constructor(
    private readonly store: ConnectionStore,
    private readonly sockets: WsConnectionGateway,
    private readonly options: { readonly shared: boolean },
  ) {}

  put(record: ConnectionRecord): Promise<void> {
    return this.store.put(record);
  }

  get(connectionId: string): Promise<ConnectionRecord | undefined> {
    return this.store.get(connectionId);
  }

  delete(connectionId: string): Promise<ConnectionRecord | undefined> {
    return this.store.delete(connectionId);
  }

  touch(connectionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean> {
    return this.store.touch(connectionId, lastSeenAt, expiresAt);
  }

  addChannel(connectionId: string, channel: string, maxChannels: number): Promise<ChannelAdded> {
    return this.store.addChannel(connectionId, channel, maxChannels);
  }

  removeChannel(connectionId: string, channel: string): Promise<boolean> {
    return this.store.removeChannel(connectionId, channel);
  }

  async listByUser(userId: string): Promise<readonly ConnectionRecord[]> {
    const records = await this.store.listByUser(userId);
    return this.options.shared ? records.filter((record) => this.holds(record)) : records;
  }

  async listByChannel(channel: string, options?: ListOptions): Promise<Page<ConnectionRecord>> {
    const page = await this.store.listByChannel(channel, options);
    if (!this.options.shared) return page;
    const items = page.items.filter((record) => this.holds(record));
    return page.cursor === undefined ? { items } : { items, cursor: page.cursor };
  }

  /** The sockets held here, in the order they connected (see WsConnectionGateway.scan). */
  async scan(shard: BroadcastShard, options?: ListOptions): Promise<Page<ConnectionRecord>> {
    return this.sockets.scan(shard, options);
  }

  private holds(record: ConnectionRecord): boolean {
    return this.sockets.find(record.connectionId) !== undefined;
  }
}

export { LocalConnectionView };
