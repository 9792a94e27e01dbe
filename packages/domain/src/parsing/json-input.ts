import { PayloadTooLargeError, ValidationError } from '../errors.js';
import { err, ok, type Result } from '../result.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 size of a string, measured only when it could be over `limit`. */
const utf8ExceedsLimit = (text: string, limit: number): number | undefined => {
  if (text.length * 3 <= limit) return undefined;
  const size = encoder.encode(text).length;
  return size > limit ? size : undefined;
};

/** Decodes (if needed), size-checks and JSON-parses raw input. */
const parseJsonInput = (
  raw: string | Uint8Array,
  what: string,
  limitBytes: number,
): Result<unknown, ValidationError | PayloadTooLargeError> => {
  let text: string;
  if (typeof raw === 'string') {
    const size = utf8ExceedsLimit(raw, limitBytes);
    if (size !== undefined) return err(new PayloadTooLargeError(what, size, limitBytes));
    text = raw;
  } else {
    if (raw.length > limitBytes) return err(new PayloadTooLargeError(what, raw.length, limitBytes));
    try {
      text = decoder.decode(raw);
    } catch {
      return err(new ValidationError('$', 'is not valid UTF-8'));
    }
  }
  try {
    return ok(JSON.parse(text));
  } catch {
    return err(new ValidationError('$', 'is not valid JSON'));
  }
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

export { describe, isPlainObject, parseJsonInput, utf8ExceedsLimit };
