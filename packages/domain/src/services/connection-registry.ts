import { ChannelNotAllowedError, ConnectionNotFoundError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { BroadcastShard, ConnectionRecord, Page } from '../model/connection.js';
import { allowsChannel, type Principal } from '../model/principal.js';
import { validateChannel } from '../parsing/client-frame-parser.js';
import type { Clock } from '../ports/clock.js';
import type { ConnectionStore, ListOptions } from '../ports/connection-store.js';

interface ConnectionRegistryOptions {
  /** A connection with no activity for this long counts as gone. @default LIMITS.idleTimeoutMs */
  readonly idleTimeoutMs?: number;
  /** A connection counts as gone at this age. @default LIMITS.maxConnectionAgeMs */
  readonly maxConnectionAgeMs?: number;
}

/** Shared by every new connection: one empty array, not one per connection. */
const NO_CHANNELS: readonly string[] = Object.freeze([]);

/** Told when connections come and go, e.g. PresenceTracker in the embedded server. */
interface ConnectionLifecycleListener {
  connected(record: ConnectionRecord): Promise<void>;
  disconnected(record: ConnectionRecord, at: number): Promise<void>;
}

/**
 * Who is connected, to which channels. The registry removes a connection only
 * when it is told the connection is gone: by the gateway (a disconnect, or a
 * post answered "gone"), or by expiry.
 */
class ConnectionRegistry {
  private readonly idleTimeoutMs: number;
  private readonly maxConnectionAgeMs: number;

  constructor(
    private readonly store: ConnectionStore,
    private readonly clock: Clock,
    options: ConnectionRegistryOptions = {},
    private readonly listener?: ConnectionLifecycleListener,
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? LIMITS.idleTimeoutMs;
    this.maxConnectionAgeMs = options.maxConnectionAgeMs ?? LIMITS.maxConnectionAgeMs;
  }

  async connect(connectionId: string, principal: Principal): Promise<ConnectionRecord> {
    const now = this.clock.now();
    const record: ConnectionRecord = {
      connectionId,
      userId: principal.userId,
      channels: NO_CHANNELS,
      allowedChannels: principal.channels,
      connectedAt: now,
      lastSeenAt: now,
      expiresAt: this.expiryFor(now, now),
    };
    await this.store.put(record);
    await this.listener?.connected(record);
    return record;
  }

  /** Removes a connection the gateway reports gone, with its channel memberships. */
  async disconnect(connectionId: string): Promise<ConnectionRecord | undefined> {
    const removed = await this.store.delete(connectionId);
    if (removed !== undefined) await this.listener?.disconnected(removed, this.clock.now());
    return removed;
  }

  /** Refreshes liveness (a ping, or any client frame). False when the connection is unknown. */
  async touch(connectionId: string): Promise<boolean> {
    const record = await this.store.get(connectionId);
    if (record === undefined) return false;
    const now = this.clock.now();
    return this.store.touch(connectionId, now, this.expiryFor(record.connectedAt, now));
  }

  /** Subscribes to a channel, if the connection's token allows it. */
  async subscribe(connectionId: string, channel: string): Promise<void> {
    const name = validateChannel(channel);
    if (!name.ok) throw name.error;
    const record = await this.require(connectionId);
    if (!allowsChannel(record.allowedChannels, name.value)) {
      throw new ChannelNotAllowedError(name.value);
    }
    if (!(await this.store.addChannel(connectionId, name.value))) {
      throw new ConnectionNotFoundError(connectionId);
    }
  }

  async unsubscribe(connectionId: string, channel: string): Promise<void> {
    const name = validateChannel(channel);
    if (!name.ok) throw name.error;
    if (!(await this.store.removeChannel(connectionId, name.value))) {
      throw new ConnectionNotFoundError(connectionId);
    }
  }

  get(connectionId: string): Promise<ConnectionRecord | undefined> {
    return this.store.get(connectionId);
  }

  listByUser(userId: string): Promise<readonly ConnectionRecord[]> {
    return this.store.listByUser(userId);
  }

  listByChannel(channel: string, options?: ListOptions): Promise<Page<ConnectionRecord>> {
    return this.store.listByChannel(channel, options);
  }

  /** Pages through one shard of every connection, for a broadcast. */
  listAll(shard: BroadcastShard, options?: ListOptions): Promise<Page<ConnectionRecord>> {
    return this.store.scan(shard, options);
  }

  private async require(connectionId: string): Promise<ConnectionRecord> {
    const record = await this.store.get(connectionId);
    if (record === undefined) throw new ConnectionNotFoundError(connectionId);
    return record;
  }

  private expiryFor(connectedAt: number, lastSeenAt: number): number {
    return Math.min(lastSeenAt + this.idleTimeoutMs, connectedAt + this.maxConnectionAgeMs);
  }
}

export type { ConnectionLifecycleListener, ConnectionRegistryOptions };
export { ConnectionRegistry };
