import { shardOf } from '@herald/adapters-memory';
import type {
  BroadcastShard,
  ConnectionRecord,
  ConnectionStore,
  ListOptions,
  Page,
} from '@herald/domain';
import type { WsConnectionGateway } from '../ws-connection-gateway.js';

const DEFAULT_PAGE = 500;
const NO_CHANNELS: readonly string[] = Object.freeze([]);

/**
 * The shared connection store, seen by one node delivering its part of a
 * request handed to every node: listings keep only the connections whose
 * sockets this node holds, so each connection is posted by its owner alone,
 * and a post's `gone` comes from the socket's holder. Writes go to the store.
 *
 * A broadcast lists the sockets held here, not the table: each node reads its
 * own memory, and no node scans the shared table. Those records carry what
 * the socket knows (id, user, times); channels are not needed to broadcast.
 */
class LocalConnectionView implements ConnectionStore {
  constructor(
    private readonly store: ConnectionStore,
    private readonly sockets: WsConnectionGateway,
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

  addChannel(connectionId: string, channel: string): Promise<boolean> {
    return this.store.addChannel(connectionId, channel);
  }

  removeChannel(connectionId: string, channel: string): Promise<boolean> {
    return this.store.removeChannel(connectionId, channel);
  }

  async listByUser(userId: string): Promise<readonly ConnectionRecord[]> {
    return (await this.store.listByUser(userId)).filter((record) => this.holds(record));
  }

  async listByChannel(channel: string, options?: ListOptions): Promise<Page<ConnectionRecord>> {
    const page = await this.store.listByChannel(channel, options);
    const items = page.items.filter((record) => this.holds(record));
    return page.cursor === undefined ? { items } : { items, cursor: page.cursor };
  }

  /** The sockets held here, in connection id order; the cursor is the last id of the page before. */
  async scan(shard: BroadcastShard, options: ListOptions = {}): Promise<Page<ConnectionRecord>> {
    const limit = options.limit ?? DEFAULT_PAGE;
    const after = options.cursor;
    const ids: string[] = [];
    for (const connection of this.sockets.connections()) {
      const id = connection.connectionId;
      if (after !== undefined && id <= after) continue;
      if (shard.totalSegments > 1 && shardOf(id, shard.totalSegments) !== shard.segment) continue;
      ids.push(id);
    }
    ids.sort();
    const items: ConnectionRecord[] = [];
    for (const id of ids.slice(0, limit)) {
      const connection = this.sockets.find(id);
      if (connection === undefined) continue;
      items.push({
        connectionId: id,
        userId: connection.userId,
        channels: NO_CHANNELS,
        allowedChannels: NO_CHANNELS,
        connectedAt: connection.connectedAt,
        lastSeenAt: connection.lastActiveAt,
        expiresAt: Number.MAX_SAFE_INTEGER,
      });
    }
    const last = items.at(-1)?.connectionId;
    return ids.length > limit && last !== undefined ? { items, cursor: last } : { items };
  }

  private holds(record: ConnectionRecord): boolean {
    return this.sockets.find(record.connectionId) !== undefined;
  }
}

export { LocalConnectionView };
