import { ValidationError } from '../errors.js';
import type { BroadcastShard } from '../model/connection.js';
import type { Continuation, ContinuationMessage, DeliveryFailure } from '../model/continuation.js';
import { portableJson } from '../model/portable-json.js';
import { type NotificationStamp, type StreamPosition, streamKind } from '../model/stream.js';
import { err, ok, type Result } from '../result.js';
import { describe, isPlainObject } from './json-input.js';

/** A broadcast shard as it travels through the notifications queue: the request as sent, and its shard. */
interface ShardMessage {
  readonly herald_shard: BroadcastShard;
  readonly herald_stamp?: NotificationStamp;
  readonly request: unknown;
}

/**
 * Herald's own envelope around a request as sent: a broadcast shard
 * (`herald_shard`), a continuation (`herald_continuation`), or both (a shard
 * that resumes its listing after a cursor).
 */
interface HeraldEnvelope {
  readonly shard?: BroadcastShard;
  readonly continuation?: Continuation;
  /** Where the request was kept (`herald_stamp`), when history is kept. */
  readonly stamp?: NotificationStamp;
  readonly request: unknown;
}

/** The body of one shard message. */
const encodeShardMessage = (
  request: unknown,
  shard: BroadcastShard,
  stamp?: NotificationStamp,
): string =>
  portableJson({
    herald_shard: shard,
    ...(stamp === undefined ? {} : { herald_stamp: stamp }),
    request,
  } satisfies ShardMessage);

/** The body of one continuation message. */
const encodeContinuationMessage = (message: ContinuationMessage): string => {
  const { shard, continuation, request, stamp } = message;
  return portableJson({
    ...(shard === undefined ? {} : { herald_shard: shard }),
    ...(stamp === undefined ? {} : { herald_stamp: stamp }),
    herald_continuation: continuation,
    request,
  });
};

const isShardMessage = (value: unknown): value is ShardMessage =>
  isPlainObject(value) && Object.hasOwn(value, 'herald_shard') && Object.hasOwn(value, 'request');

const isEnvelope = (value: unknown): value is Record<string, unknown> =>
  isPlainObject(value) &&
  Object.hasOwn(value, 'request') &&
  (Object.hasOwn(value, 'herald_shard') || Object.hasOwn(value, 'herald_continuation'));

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;

const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

const decodeShard = (shard: unknown): Result<BroadcastShard, ValidationError> => {
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
  return ok({ segment, totalSegments });
};

const decodeFailures = (value: unknown): DeliveryFailure[] | undefined => {
  if (!Array.isArray(value)) return undefined;
  const failures: DeliveryFailure[] = [];
  for (const entry of value) {
    if (!isPlainObject(entry) || !isId(entry.connectionId) || typeof entry.reason !== 'string') {
      return undefined;
    }
    failures.push({ connectionId: entry.connectionId, reason: entry.reason });
  }
  return failures;
};

const decodeContinuation = (value: unknown): Result<Continuation, ValidationError> => {
  const field = 'herald_continuation';
  if (!isPlainObject(value)) {
    return err(new ValidationError(field, `must be an object, got ${describe(value)}`));
  }
  const { attempt, connections, cursor, exhausted } = value;
  if (!isCount(attempt)) {
    return err(new ValidationError(`${field}.attempt`, 'must be a whole number, 0 or more'));
  }
  if (!Array.isArray(connections) || !connections.every(isId)) {
    return err(new ValidationError(`${field}.connections`, 'must be an array of connection ids'));
  }
  if (cursor !== undefined && typeof cursor !== 'string') {
    return err(new ValidationError(`${field}.cursor`, 'must be a string'));
  }
  const failures = exhausted === undefined ? undefined : decodeFailures(exhausted);
  if (exhausted !== undefined && failures === undefined) {
    return err(
      new ValidationError(`${field}.exhausted`, 'must be an array of {connectionId, reason}'),
    );
  }
  return ok({
    attempt,
    connections: connections as string[],
    ...(cursor === undefined ? {} : { cursor }),
    ...(failures === undefined ? {} : { exhausted: failures }),
  });
};

const decodeStamp = (value: unknown): Result<NotificationStamp, ValidationError> => {
  const field = 'herald_stamp';
  if (!isPlainObject(value) || !isId(value.id) || !isPlainObject(value.positions)) {
    return err(new ValidationError(field, 'must be {id, positions}'));
  }
  const positions: Record<string, StreamPosition> = {};
  for (const [stream, position] of Object.entries(value.positions)) {
    if (streamKind(stream) === undefined) {
      return err(
        new ValidationError(`${field}.positions`, `names no stream: "${stream.slice(0, 64)}"`),
      );
    }
    if (!isPlainObject(position) || !isId(position.epoch) || !isCount(position.offset)) {
      return err(new ValidationError(`${field}.positions`, 'must map streams to {epoch, offset}'));
    }
    positions[stream] = { epoch: position.epoch, offset: position.offset };
  }
  return ok({ id: value.id, positions });
};

/**
 * Reads a parsed value as Herald's envelope. `undefined` when the value is no
 * envelope at all (then it is a request); an error when it is one, but its
 * shard is not `{segment, totalSegments}` with `0 <= segment < totalSegments`
 * or its continuation is not well formed.
 */
const decodeHeraldEnvelope = (
  value: unknown,
): Result<HeraldEnvelope, ValidationError> | undefined => {
  if (!isEnvelope(value)) return undefined;
  let shard: BroadcastShard | undefined;
  if (Object.hasOwn(value, 'herald_shard')) {
    const decoded = decodeShard(value.herald_shard);
    if (!decoded.ok) return decoded;
    shard = decoded.value;
  }
  let continuation: Continuation | undefined;
  if (Object.hasOwn(value, 'herald_continuation')) {
    const decoded = decodeContinuation(value.herald_continuation);
    if (!decoded.ok) return decoded;
    continuation = decoded.value;
  }
  let stamp: NotificationStamp | undefined;
  if (Object.hasOwn(value, 'herald_stamp')) {
    const decoded = decodeStamp(value.herald_stamp);
    if (!decoded.ok) return decoded;
    stamp = decoded.value;
  }
  return ok({
    ...(shard === undefined ? {} : { shard }),
    ...(continuation === undefined ? {} : { continuation }),
    ...(stamp === undefined ? {} : { stamp }),
    request: value.request,
  });
};

/**
 * Reads a parsed value as a shard message. `undefined` when the value is no
 * shard message at all (then it is a request); an error when it is one, but
 * its shard is not `{segment, totalSegments}` with `0 <= segment < totalSegments`.
 */
const decodeShardMessage = (value: unknown): Result<ShardMessage, ValidationError> | undefined => {
  if (!isShardMessage(value)) return undefined;
  const shard = decodeShard(value.herald_shard);
  if (!shard.ok) return shard;
  return ok({ herald_shard: shard.value, request: value.request });
};

export type { HeraldEnvelope, ShardMessage };
export {
  decodeHeraldEnvelope,
  decodeShardMessage,
  decodeStamp as decodeNotificationStamp,
  encodeContinuationMessage,
  encodeShardMessage,
  isShardMessage,
};
