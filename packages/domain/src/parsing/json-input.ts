import { PayloadTooLargeError, ValidationError } from '../errors.js';
import { LIMITS } from '../limits.js';
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

/**
 * Refuses a value nested deeper than `limit` levels of arrays and objects (the
 * value itself is level 1), naming `field`. Measured with an explicit stack,
 * never by recursion, and it stops descending at the limit, so a hostile value
 * costs at most one visit per node and cannot overflow the stack here. (V8's
 * `JSON.parse` is itself iterative: 500,000 nested arrays parse; it is
 * `JSON.stringify`, in every output, that overflows on them.)
 */
const checkNesting = (
  value: unknown,
  field: string,
  limit: number = LIMITS.maxNestingDepth,
): Result<unknown, ValidationError> => {
  const pending: unknown[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const current = pending.pop();
    const depth = depths.pop() as number;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) {
      return err(new ValidationError(field, `is nested deeper than ${limit} levels`));
    }
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) {
        pending.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return ok(value);
};

export { checkNesting, describe, isPlainObject, parseJsonInput, utf8ExceedsLimit };
