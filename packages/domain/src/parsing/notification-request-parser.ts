import { type PayloadTooLargeError, ValidationError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { NotificationRequest } from '../model/notification-request.js';
import { err, ok, type Result } from '../result.js';
import { checkNesting, describe, isPlainObject, parseJsonInput } from './json-input.js';

/**
 * The formats Herald accepts, so that backends of the systems it replaces can
 * switch without changes. Each maps to the canonical NotificationRequest.
 */
type RequestFormat = 'canonical' | 'user' | 'connection' | 'room' | 'user_body';

type ParseError = ValidationError | PayloadTooLargeError;

/** Largest raw request: SQS's own message limit. The `data` inside is held to 128 KB at fanout. */
const MAX_REQUEST_BYTES = 1024 * 1024;

const CANONICAL_FIELDS = [
  'users',
  'connections',
  'channels',
  'exclude_users',
  'exclude_connections',
  'data',
  'id',
] as const;

const FORMAT_FIELDS: Record<RequestFormat, readonly string[]> = {
  canonical: CANONICAL_FIELDS,
  user: ['userId', 'data'],
  connection: ['connectionId', 'data'],
  room: ['user_id', 'room_id', 'data'],
  user_body: ['UserId', 'Body'],
};

/** Picks the format from the keys that only one format uses. */
const detectFormat = (input: Record<string, unknown>): RequestFormat => {
  const has = (key: string) => Object.hasOwn(input, key);
  if (has('UserId') || has('Body')) return 'user_body';
  if (has('room_id')) return 'room';
  if (has('userId')) return 'user';
  if (has('connectionId')) return 'connection';
  return 'canonical';
};

class FieldReader {
  constructor(private readonly input: Record<string, unknown>) {}

  id(field: string): string {
    return checkId(this.input[field], field);
  }

  ids(field: string): readonly string[] {
    const value = this.input[field];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      throw new ValidationError(field, `must be an array of strings, got ${describe(value)}`);
    }
    if (value.length > LIMITS.maxTargetsPerList) {
      throw new ValidationError(
        field,
        `has ${value.length} entries, over the limit of ${LIMITS.maxTargetsPerList}`,
      );
    }
    return value.map((item, index) => checkId(item, `${field}[${index}]`));
  }

  data(field: string): unknown {
    if (!Object.hasOwn(this.input, field) || this.input[field] === undefined) {
      throw new ValidationError(field, 'is required');
    }
    const nesting = checkNesting(this.input[field], field);
    if (!nesting.ok) throw nesting.error;
    return nesting.value;
  }
}

const checkId = (value: unknown, field: string): string => {
  if (typeof value !== 'string') {
    throw new ValidationError(field, `must be a string, got ${describe(value)}`);
  }
  if (value.length === 0) throw new ValidationError(field, 'must not be empty');
  if (value.length > LIMITS.maxIdLength) {
    throw new ValidationError(field, `is longer than ${LIMITS.maxIdLength} characters`);
  }
  return value;
};

const rejectUnknownFields = (input: Record<string, unknown>, format: RequestFormat): void => {
  const known = FORMAT_FIELDS[format];
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      throw new ValidationError(
        key,
        `is not a field of this request format (expected ${known.join(', ')})`,
      );
    }
  }
};

const EMPTY: readonly string[] = Object.freeze([]);

const toCanonical = (input: Record<string, unknown>): NotificationRequest => {
  const format = detectFormat(input);
  rejectUnknownFields(input, format);
  const read = new FieldReader(input);
  const targets = {
    users: EMPTY,
    connections: EMPTY,
    channels: EMPTY,
    excludeUsers: EMPTY,
    excludeConnections: EMPTY,
  };
  switch (format) {
    case 'user':
      return { ...targets, users: [read.id('userId')], data: read.data('data') };
    case 'connection':
      return { ...targets, connections: [read.id('connectionId')], data: read.data('data') };
    case 'room':
      return {
        ...targets,
        channels: [read.id('room_id')],
        sender: read.id('user_id'),
        data: read.data('data'),
      };
    case 'user_body':
      return { ...targets, users: [read.id('UserId')], data: read.data('Body') };
    case 'canonical': {
      const request: NotificationRequest = {
        users: read.ids('users'),
        connections: read.ids('connections'),
        channels: read.ids('channels'),
        excludeUsers: read.ids('exclude_users'),
        excludeConnections: read.ids('exclude_connections'),
        data: read.data('data'),
      };
      return input.id === undefined ? request : { ...request, id: read.id('id') };
    }
  }
};

/**
 * Validates one notification request, given as a parsed value, and maps it to
 * the canonical form. Never throws: every problem comes back as an error that
 * names the field.
 */
const parseNotificationRequest = (input: unknown): Result<NotificationRequest, ParseError> => {
  if (!isPlainObject(input)) {
    return err(new ValidationError('$', `must be a JSON object, got ${describe(input)}`));
  }
  try {
    return ok(toCanonical(input));
  } catch (error) {
    if (error instanceof ValidationError) return err(error);
    throw error;
  }
};

/** Parses raw text or bytes holding one notification request. */
const parseNotificationRequestText = (
  raw: string | Uint8Array,
): Result<NotificationRequest, ParseError> => {
  const parsed = parseJsonInput(raw, 'notification request', MAX_REQUEST_BYTES);
  return parsed.ok ? parseNotificationRequest(parsed.value) : parsed;
};

/**
 * Parses a value holding one request or an array of them. Each entry gets its
 * own result, so one bad request never sinks the others.
 */
const parseNotificationBatch = (
  input: unknown,
): readonly Result<NotificationRequest, ParseError>[] =>
  Array.isArray(input)
    ? input.map((entry, index) => {
        const result = parseNotificationRequest(entry);
        if (result.ok || !(result.error instanceof ValidationError)) return result;
        return err(result.error.within(`[${index}]`));
      })
    : [parseNotificationRequest(input)];

export type { RequestFormat };
export {
  MAX_REQUEST_BYTES,
  parseNotificationBatch,
  parseNotificationRequest,
  parseNotificationRequestText,
};
