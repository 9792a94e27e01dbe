import type { BroadcastShard, ConnectionRecord, Page } from '../model/connection.js';

/** What `addChannel` did. */
type ChannelAdded = 'added' | 'absent' | 'full';

interface ListOptions {
  readonly cursor?: string;
  /** Most items in one page; a store may return fewer. */
  readonly limit?: number;
}

/**
 * Where connections live. Records whose `expiresAt` has passed count as absent
 * on every read, because storage-side expiry (DynamoDB TTL) lags.
 * Finding a user's or a channel's connections never scans.
 */
interface ConnectionStore {
  /**
   * Stores a new connection. A connection with the same id is replaced,
   * unless it is live and of the same user (the same connect handled twice,
   * e.g. retried): then it is kept as it is, with its channels.
   */
  put(record: ConnectionRecord): Promise<void>;
  get(connectionId: string): Promise<ConnectionRecord | undefined>;
  /** Removes the connection and its channel memberships; returns what was removed. */
  delete(connectionId: string): Promise<ConnectionRecord | undefined>;
  /** Refreshes liveness; false when the connection is absent. */
  touch(connectionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean>;
  /**
   * Adds a channel membership, unless the connection already holds
   * `maxChannels` other channels: `added` (also when it was a member already),
   * `absent` when the connection is not there, `full` when it is at the bound.
   * Atomic: adds racing on one connection never take it past `maxChannels`.
   */
  addChannel(connectionId: string, channel: string, maxChannels: number): Promise<ChannelAdded>;
  /** Removes a channel membership; false when the connection is absent. */
  removeChannel(connectionId: string, channel: string): Promise<boolean>;
  listByUser(userId: string): Promise<readonly ConnectionRecord[]>;
  listByChannel(channel: string, options?: ListOptions): Promise<Page<ConnectionRecord>>;
  /** Pages through one broadcast shard. Shards never overlap and together cover every connection. */
  scan(shard: BroadcastShard, options?: ListOptions): Promise<Page<ConnectionRecord>>;
}

export type { ChannelAdded, ConnectionStore, ListOptions };
