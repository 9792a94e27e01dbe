import type { ConnectionRecord } from './connection.js';
import { isBroadcast, type NotificationRequest } from './notification-request.js';
import { allowsChannel } from './principal.js';

/**
 * A stream is where a notification is kept for clients that missed it:
 * `user:{id}` for a notification to that user, `channel:{name}` for one to
 * that channel, `broadcast` for one to everyone. A notification to connection
 * ids is on no stream: the id dies with its socket, so it is not recoverable.
 */
type StreamKind = 'user' | 'channel' | 'broadcast';

const BROADCAST_STREAM = 'broadcast';

const userStream = (userId: string): string => `user:${userId}`;
const channelStream = (channel: string): string => `channel:${channel}`;

/** The kind of a stream name, or undefined when the name is none of Herald's. */
const streamKind = (stream: string): StreamKind | undefined => {
  if (stream === BROADCAST_STREAM) return 'broadcast';
  if (stream.startsWith('user:') && stream.length > 5) return 'user';
  if (stream.startsWith('channel:') && stream.length > 8) return 'channel';
  return undefined;
};

/** Where a stream stands: its epoch, and an offset within it (the last one appended, or one a client has). */
interface StreamPosition {
  readonly epoch: string;
  readonly offset: number;
}

/** One notification as a stream keeps it. */
interface HistoryEntry {
  readonly stream: string;
  readonly offset: number;
  readonly epoch: string;
  /** The request's id. */
  readonly id: string;
  /** The request's `data`, JSON-encoded once, exactly as it was delivered. */
  readonly data: string;
  /** When it was appended, epoch ms. */
  readonly at: number;
  /** Users the request excluded (a channel or broadcast entry is not replayed to them). */
  readonly excludeUsers?: readonly string[];
}

/** How much of a stream is kept: at most `maxEntries` entries, none older than `maxAgeMs`. */
interface RetentionPolicy {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
}

type HistoryRetention = Readonly<Record<StreamKind, RetentionPolicy>>;

/**
 * What Herald keeps unless told otherwise: an hour of each stream, at most
 * 100 entries of a user's or a channel's and 20 of the broadcast stream (a
 * resume replays at most that many). An hour covers a phone in a tunnel and
 * API Gateway's idle and age closes; the `HERALD_HISTORY_*` settings change it.
 */
const DEFAULT_HISTORY_RETENTION: HistoryRetention = {
  user: { maxEntries: 100, maxAgeMs: 3_600_000 },
  channel: { maxEntries: 100, maxAgeMs: 3_600_000 },
  broadcast: { maxEntries: 20, maxAgeMs: 3_600_000 },
};

/** The retention of a stream's kind (a name that is no stream's gets the user's). */
const retentionOf = (retention: HistoryRetention, stream: string): RetentionPolicy =>
  retention[streamKind(stream) ?? 'user'];

/**
 * Where one delivery's entries were appended: the request's id, and each
 * stream's position. It travels with a delivery's shard messages and
 * continuations, so that every part of one request frames the same envelope.
 */
interface NotificationStamp {
  readonly id: string;
  readonly positions: Readonly<Record<string, StreamPosition>>;
}

/** The streams a request is appended to: its users (less the excluded), its channels, or `broadcast`. */
const streamsOf = (request: NotificationRequest): string[] => {
  if (isBroadcast(request)) return [BROADCAST_STREAM];
  const excluded = new Set(request.excludeUsers);
  const streams = new Set<string>();
  for (const user of request.users) if (!excluded.has(user)) streams.add(userStream(user));
  for (const channel of request.channels) streams.add(channelStream(channel));
  return [...streams];
};

/**
 * Decides, once per request, which stream a target connection's copy belongs
 * to: its user's stream when the request names its user; else the first
 * channel of the request it is subscribed to; `broadcast` for a broadcast;
 * none for a connection named by id only.
 */
const streamResolver = (request: NotificationRequest) => {
  if (isBroadcast(request)) return (): string | undefined => BROADCAST_STREAM;
  const users = new Set(request.users);
  return (record: ConnectionRecord | undefined): string | undefined => {
    if (record === undefined) return undefined;
    if (users.has(record.userId)) return userStream(record.userId);
    for (const channel of request.channels) {
      if (record.channels.includes(channel)) return channelStream(channel);
    }
    return undefined;
  };
};

/** Whether a connection may read a stream: its own user's, a channel its token allows, or `broadcast`. */
const mayRead = (record: ConnectionRecord, stream: string): boolean => {
  switch (streamKind(stream)) {
    case 'broadcast':
      return true;
    case 'user':
      return stream === userStream(record.userId);
    case 'channel':
      return allowsChannel(record.allowedChannels, stream.slice('channel:'.length));
    default:
      return false;
  }
};

export type {
  HistoryEntry,
  HistoryRetention,
  NotificationStamp,
  RetentionPolicy,
  StreamKind,
  StreamPosition,
};
export {
  BROADCAST_STREAM,
  channelStream,
  DEFAULT_HISTORY_RETENTION,
  mayRead,
  retentionOf,
  streamKind,
  streamResolver,
  streamsOf,
  userStream,
};
