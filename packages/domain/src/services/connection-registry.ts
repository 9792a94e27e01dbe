import {
  ChannelNotAllowedError,
  ConnectionNotFoundError,
  TooManyChannelsError,
} from '../errors.js';
import { LIMITS } from '../limits.js';
import type {
  BroadcastShard,
  ClientProtocol,
  ConnectionOwner,
  ConnectionRecord,
  Page,
} from '../model/connection.js';
import { allowsChannel, type Principal } from '../model/principal.js';
import { validateChannel } from '../parsing/client-frame-parser.js';
import type { Clock } from '../ports/clock.js';
import type { ConnectionStore, ListOptions } from '../ports/connection-store.js';

interface ConnectionRegistryOptions {
  /** A connection with no activity for this long counts as gone. @default LIMITS.idleTimeoutMs */
  readonly idleTimeoutMs?: number;
  /** A connection counts as gone at this age. @default LIMITS.maxConnectionAgeMs */
  readonly maxConnectionAgeMs?: number;
  /** Recorded on every connection this registry opens: the gateway holding its socket. @default none (the default gateway) */
  readonly owner?: ConnectionOwner;
}

/** Shared by every new connection: one empty array, not one per connection. */
const NO_CHANNELS: readonly string[] = Object.freeze([]);
/**
 * Most tokens allow every channel: their records share one `['*']` list
 * rather than each holding its own copy of the token's (paid per connection).
 */
const ALL_CHANNELS: readonly string[] = Object.freeze(['*']);
const sharedChannels = (channels: readonly string[]): readonly string[] =>
  channels.length === 1 && channels[0] === '*' ? ALL_CHANNELS : channels;

/** Told when connections come and go, e.g. PresenceTracker in the embedded server. */
interface ConnectionLifecycleListener {
  connected(record: ConnectionRecord): Promise<void>;
  disconnected(record: ConnectionRecord, at: number): Promise<void>;
  /**
   * The connection's liveness was extended to `record.expiresAt`. Told at
   * most twice per idle timeout per connection (see `presenceRefreshDue`),
   * not on every touch.
   */
  refreshed?(record: ConnectionRecord): Promise<void>;
}

/**
 * Whether a touch at `seenAt` (the previous one having been at
 * `previousSeenAt`) must extend the connection's presence. Time since the
 * connection opened is cut into windows of half an idle timeout; the first
 * touch in a new window extends presence to the connection's new expiry. So
 * presence costs at most two writes per connection per idle timeout however
 * often the client pings; it stays alive as long as the client is heard at
 * least every half idle timeout; and it never outlives the connection's own
 * expiry, so a node that stops touching (it crashed) lets its users' presence
 * lapse within the idle timeout. The embedded registry and the connections
 * table's stream (old and new images of a touch) both decide by this rule.
 */
const presenceRefreshDue = (
  connectedAt: number,
  previousSeenAt: number,
  seenAt: number,
  idleTimeoutMs: number,
): boolean => {
  const window = Math.max(1, idleTimeoutMs / 2);
  return (
    Math.floor((seenAt - connectedAt) / window) >
    Math.floor((previousSeenAt - connectedAt) / window)
  );
};

/**
 * Who is connected, to which channels. The registry removes a connection only
 * when it is told the connection is gone: by the gateway (a disconnect, or a
 * post answered "gone"), or by expiry.
 */
class ConnectionRegistry {
  private readonly idleTimeoutMs: number;
  private readonly maxConnectionAgeMs: number;
  private readonly owner: ConnectionOwner | undefined;

  constructor(
    private readonly store: ConnectionStore,
    private readonly clock: Clock,
    options: ConnectionRegistryOptions = {},
    private readonly listener?: ConnectionLifecycleListener,
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? LIMITS.idleTimeoutMs;
    this.maxConnectionAgeMs = options.maxConnectionAgeMs ?? LIMITS.maxConnectionAgeMs;
    this.owner = options.owner;
  }

  /** Registers a connection; `protocol` is what the client opted into (`herald.v1`), if anything. */
  async connect(
    connectionId: string,
    principal: Principal,
    protocol?: ClientProtocol,
  ): Promise<ConnectionRecord> {
    const now = this.clock.now();
    const record: ConnectionRecord = {
      connectionId,
      userId: principal.userId,
      channels: NO_CHANNELS,
      allowedChannels: sharedChannels(principal.channels),
      connectedAt: now,
      lastSeenAt: now,
      expiresAt: this.expiryFor(now, now),
      ...(this.owner === undefined ? {} : { owner: this.owner }),
      ...(protocol === undefined ? {} : { protocol }),
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

  /**
   * Refreshes liveness (a ping, or any client frame). False when the
   * connection is unknown. Tells the listener when presence is due a refresh.
   */
  async touch(connectionId: string): Promise<boolean> {
    const record = await this.store.get(connectionId);
    if (record === undefined) return false;
    const now = this.clock.now();
    const expiresAt = this.expiryFor(record.connectedAt, now);
    if (!(await this.store.touch(connectionId, now, expiresAt))) return false;
    if (
      this.listener?.refreshed !== undefined &&
      presenceRefreshDue(record.connectedAt, record.lastSeenAt, now, this.idleTimeoutMs)
    ) {
      await this.listener.refreshed({ ...record, lastSeenAt: now, expiresAt });
    }
    return true;
  }

  /** Subscribes to a channel, if the connection's token allows it. */
  async subscribe(connectionId: string, channel: string): Promise<void> {
    const name = validateChannel(channel);
    if (!name.ok) throw name.error;
    const record = await this.require(connectionId);
    if (!allowsChannel(record.allowedChannels, name.value)) {
      throw new ChannelNotAllowedError(name.value);
    }
    const added = await this.store.addChannel(
      connectionId,
      name.value,
      LIMITS.maxChannelsPerConnection,
    );
    if (added === 'absent') throw new ConnectionNotFoundError(connectionId);
    if (added === 'full') throw new TooManyChannelsError(LIMITS.maxChannelsPerConnection);
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
export { ConnectionRegistry, presenceRefreshDue };
