import { type PayloadTooLargeError, UnknownActionError, ValidationError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { ClientFrame } from '../model/client-frame.js';
import { type StreamPosition, streamKind } from '../model/stream.js';
import { err, ok, type Result } from '../result.js';
import { checkNesting, describe, isPlainObject, parseJsonInput } from './json-input.js';

type FrameError = ValidationError | UnknownActionError | PayloadTooLargeError;

const CHANNEL_PATTERN = /^[\w.:@/-]+$/;

/** Checks a channel name: 1–256 characters of letters, digits and `_ . : @ / -`. */
const validateChannel = (value: unknown, field = 'channel'): Result<string, ValidationError> => {
  if (typeof value !== 'string') {
    return err(new ValidationError(field, `must be a string, got ${describe(value)}`));
  }
  if (value.length === 0 || value.length > LIMITS.maxIdLength) {
    return err(new ValidationError(field, `must be 1 to ${LIMITS.maxIdLength} characters long`));
  }
  if (!CHANNEL_PATTERN.test(value)) {
    return err(
      new ValidationError(field, 'may hold only letters, digits and the characters _ . : @ / -'),
    );
  }
  return ok(value);
};

/** Most streams one resume frame may name. */
const MAX_RESUME_STREAMS = 64;
const MAX_EPOCH_LENGTH = 128;

/** Checks a stream name: `broadcast`, `user:{id}` or `channel:{name}`. */
const validateStream = (stream: string, field: string): Result<string, ValidationError> => {
  const kind = streamKind(stream);
  if (kind === 'channel') {
    const channel = validateChannel(stream.slice('channel:'.length), field);
    return channel.ok ? ok(stream) : channel;
  }
  if (kind === 'user' && stream.length - 'user:'.length > LIMITS.maxIdLength) {
    return err(new ValidationError(field, `names a user id over ${LIMITS.maxIdLength} characters`));
  }
  if (kind === undefined) {
    return err(new ValidationError(field, 'must be "broadcast", "user:{id}" or "channel:{name}"'));
  }
  return ok(stream);
};

/** Checks a resume frame's `streams`: `{stream: {epoch, offset}}`, 1 to 64 of them. */
const validateResumeStreams = (
  value: unknown,
): Result<Record<string, StreamPosition>, ValidationError> => {
  if (!isPlainObject(value)) {
    return err(new ValidationError('streams', `must be an object, got ${describe(value)}`));
  }
  const names = Object.keys(value);
  if (names.length === 0 || names.length > MAX_RESUME_STREAMS) {
    return err(new ValidationError('streams', `must name 1 to ${MAX_RESUME_STREAMS} streams`));
  }
  const streams: Record<string, StreamPosition> = {};
  for (const name of names) {
    const field = `streams[${JSON.stringify(name.slice(0, 300))}]`;
    const stream = validateStream(name, field);
    if (!stream.ok) return stream;
    const position = value[name];
    if (!isPlainObject(position)) {
      return err(new ValidationError(field, `must be {epoch, offset}, got ${describe(position)}`));
    }
    const { epoch, offset } = position;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      return err(new ValidationError(`${field}.offset`, 'must be a whole number, 0 or more'));
    }
    if (epoch === undefined && offset === 0) {
      streams[name] = { epoch: '', offset };
      continue;
    }
    if (typeof epoch !== 'string' || epoch.length > MAX_EPOCH_LENGTH) {
      return err(
        new ValidationError(
          `${field}.epoch`,
          `must be a string of at most ${MAX_EPOCH_LENGTH} characters (it may be left out with offset 0)`,
        ),
      );
    }
    streams[name] = { epoch, offset };
  }
  return ok(streams);
};

/**
 * Parses one client frame: a JSON object with an `action`. Frames over 32 KB,
 * non-JSON frames, unknown actions, missing fields and a `message` nested
 * deeper than `LIMITS.maxNestingDepth` come back as errors; the
 * caller answers with an error frame and keeps the connection open.
 */
const parseClientFrame = (
  raw: string | Uint8Array,
  limitBytes: number = LIMITS.maxFrameBytes,
): Result<ClientFrame, FrameError> => {
  const parsed = parseJsonInput(raw, 'frame', limitBytes);
  if (!parsed.ok) return parsed;
  const frame = parsed.value;
  if (!isPlainObject(frame)) {
    return err(new ValidationError('$', `must be a JSON object, got ${describe(frame)}`));
  }
  const action = frame.action;
  if (typeof action !== 'string') {
    return err(new ValidationError('action', 'is required and must be a string'));
  }
  switch (action) {
    case 'ping':
      return ok({ action });
    case 'send':
    case 'publish': {
      if (!Object.hasOwn(frame, 'message'))
        return err(new ValidationError('message', 'is required'));
      const nesting = checkNesting(frame.message, 'message');
      return nesting.ok ? ok({ action, message: frame.message }) : nesting;
    }
    case 'subscribe':
    case 'unsubscribe': {
      const channel = validateChannel(frame.channel);
      return channel.ok ? ok({ action, channel: channel.value }) : channel;
    }
    case 'resume': {
      const streams = validateResumeStreams(frame.streams);
      return streams.ok ? ok({ action, streams: streams.value }) : streams;
    }
    case 'refresh': {
      const token = frame.token;
      if (typeof token !== 'string' || token.length === 0) {
        return err(new ValidationError('token', 'is required and must be a non-empty string'));
      }
      if (token.length > LIMITS.maxTokenBytes) {
        return err(new ValidationError('token', `must be at most ${LIMITS.maxTokenBytes} bytes`));
      }
      return ok({ action, token });
    }
    default:
      return err(new UnknownActionError(action.slice(0, 64)));
  }
};

export type { FrameError };
export { parseClientFrame, validateChannel };
