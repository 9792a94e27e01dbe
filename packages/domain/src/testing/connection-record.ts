import type { ConnectionRecord } from '../model/connection.js';

/**
 * A connection as the registry would store it at `now`: in no channel,
 * allowed in all, expiring in an hour unless `extra` says otherwise.
 */
const connectionRecord = (
  connectionId: string,
  userId: string,
  now: number,
  extra: Partial<ConnectionRecord> = {},
): ConnectionRecord => ({
  connectionId,
  userId,
  channels: [],
  allowedChannels: ['*'],
  connectedAt: now,
  lastSeenAt: now,
  expiresAt: now + 3_600_000,
  ...extra,
});

export { connectionRecord };
