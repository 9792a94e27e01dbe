import { ValidationError } from '../errors.js';
import type { BroadcastShard } from '../model/connection.js';
import { err, ok, type Result } from '../result.js';
import { describe, isPlainObject } from './json-input.js';

/** A broadcast shard as it travels through the notifications queue: the request as sent, and its shard. */
interface ShardMessage {
  readonly herald_shard: BroadcastShard;
  readonly request: unknown;
}

/** The body of one shard message. */
const encodeShardMessage = (request: unknown, shard: BroadcastShard): string =>
  JSON.stringify({ herald_shard: shard, request } satisfies ShardMessage);

const isShardMessage = (value: unknown): value is ShardMessage =>
  isPlainObject(value) && Object.hasOwn(value, 'herald_shard') && Object.hasOwn(value, 'request');

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;

/**
 * Reads a parsed value as a shard message. `undefined` when the value is no
 * shard message at all (then it is a request); an error when it is one, but
 * its shard is not `{segment, totalSegments}` with `0 <= segment < totalSegments`.
 */
const decodeShardMessage = (value: unknown): Result<ShardMessage, ValidationError> | undefined => {
  if (!isShardMessage(value)) return undefined;
  const shard = value.herald_shard;
  if (!isPlainObject(shard)) {
    return err(new ValidationError('herald_shard', `must be an object, got ${describe(shard)}`));
  }
  const { segment, totalSegments } = shard;
  if (!isCount(totalSegments) || totalSegments === 0) {
    return err(new ValidationError('herald_shard.totalSegments', 'must be a positive integer'));
  }
  if (!isCount(segment) || segment >= totalSegments) {
    return err(
      new ValidationError(
        'herald_shard.segment',
        `must be an integer from 0 to ${totalSegments - 1}`,
      ),
    );
  }
  return ok({ herald_shard: { segment, totalSegments }, request: value.request });
};

export type { ShardMessage };
export { decodeShardMessage, encodeShardMessage, isShardMessage };
