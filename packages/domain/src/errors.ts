/**
 * Herald's error catalogue: every error that reaches a client (a WebSocket
 * error frame) or a backend (an HTTP error body) is a class in this file, and
 * `wireError` below is the one mapping from an error to what goes on the wire.
 *
 * Every error carries a stable `code`. Callers and tests match on the code,
 * never on the message text, which may be reworded. `temporary` tells whether
 * the same call may succeed later (worth a retry, with backoff) or will fail
 * the same way until the input or the setup changes.
 */
abstract class HeraldError extends Error {
  abstract readonly code: string;
  /** True when retrying the same call later may succeed. */
  readonly temporary: boolean = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Input that is not JSON, or not of the expected shape: a notification request,
 * a client frame, a configuration value. `field` names what was wrong.
 */
class ValidationError extends HeraldError {
  readonly code = 'bad_request';
  /** Path of the offending field, e.g. `users[2]` or `data`; `$` for the whole input. */
  readonly field: string;
  /** What is wrong with it, without the field name. */
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
    this.problem = problem;
  }

  /** The same problem, reported under a parent path (`[3]` + `users[2]` → `[3].users[2]`). */
  within(parent: string): ValidationError {
    const field = this.field === '$' ? parent : `${parent}.${this.field}`;
    return new ValidationError(field, this.problem);
  }
}

/** A payload, message or frame larger than the limit that applies to it. */
class PayloadTooLargeError extends HeraldError {
  readonly code = 'payload_too_large';
  readonly sizeBytes: number;
  readonly limitBytes: number;

  constructor(what: string, sizeBytes: number, limitBytes: number) {
    super(`${what} is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes`);
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** A client frame naming an action Herald does not know. */
class UnknownActionError extends HeraldError {
  readonly code = 'unknown_action';
  readonly action: string;

  constructor(action: string) {
    super(`unknown action "${action}"`);
    this.action = action;
  }
}

/** A subscribe or unsubscribe to a channel the connection's token does not allow. */
class ChannelNotAllowedError extends HeraldError {
  readonly code = 'channel_not_allowed';
  readonly channel: string;

  constructor(channel: string) {
    super(`the token does not allow channel "${channel}"`);
    this.channel = channel;
  }
}

/** A subscribe that would take a connection past its channel limit; unsubscribe from one first. */
class TooManyChannelsError extends HeraldError {
  readonly code = 'too_many_channels';
  readonly limit: number;

  constructor(limit: number) {
    super(`a connection may subscribe to at most ${limit} channels; unsubscribe from one first`);
    this.limit = limit;
  }
}

/** A resume naming a stream the connection may not read (another user's, or a channel its token does not allow). */
class StreamNotAllowedError extends HeraldError {
  readonly code = 'stream_not_allowed';
  readonly stream: string;

  constructor(stream: string) {
    super(`the connection may not read stream "${stream}"`);
    this.stream = stream;
  }
}

/** An operation on a connection the registry does not hold (never connected, gone or expired). */
class ConnectionNotFoundError extends HeraldError {
  readonly code = 'connection_not_found';
  readonly connectionId: string;

  constructor(connectionId: string) {
    super(`connection "${connectionId}" is not registered`);
    this.connectionId = connectionId;
  }
}

/** The reasons a token is denied. Stable: authorizers and clients branch on them. */
const TOKEN_DENIAL_REASONS = [
  'token_missing',
  'token_too_large',
  'token_malformed',
  'token_alg_not_allowed',
  'token_key_mismatch',
  'token_unknown_kid',
  'token_key_unavailable',
  'token_signature_invalid',
  'token_expired',
  'token_not_yet_valid',
  'token_issuer_invalid',
  'token_audience_invalid',
  'token_claim_invalid',
] as const;

type TokenDenialReason = (typeof TOKEN_DENIAL_REASONS)[number];

/** Why a token was refused. The message never contains the token itself. */
class TokenDeniedError extends HeraldError {
  readonly code: TokenDenialReason;
  /** Only `token_key_unavailable` (the issuer's keys could not be fetched) may pass on a retry. */
  override readonly temporary: boolean;

  constructor(code: TokenDenialReason, detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.code = code;
    this.temporary = code === 'token_key_unavailable';
  }
}

/** A `refresh` whose token verifies but names another user than the connection's. */
class TokenUserMismatchError extends HeraldError {
  readonly code = 'token_user_mismatch';

  constructor() {
    super('the refreshed token names another user than the connection');
  }
}

/** Herald was set up wrongly (bad option, endpoint or permission); retrying will not help. */
class ConfigurationError extends HeraldError {
  readonly code = 'configuration_error';
  readonly setting: string;

  constructor(setting: string, problem: string, options?: ErrorOptions) {
    super(`${setting}: ${problem}`, options);
    this.setting = setting;
  }
}

/** A key source could not produce keys (issuer unreachable, bad document, timeout). */
class KeySourceError extends HeraldError {
  readonly code = 'key_source_unavailable';
  override readonly temporary = true;
}

/** A compare-and-set lost its race too many times in a row. */
class ConcurrencyConflictError extends HeraldError {
  readonly code = 'concurrency_conflict';
  override readonly temporary = true;
}

/** A connection sent more actions than its rate limit allows; the action was not handled. */
class RateLimitedError extends HeraldError {
  readonly code = 'rate_limited';
  override readonly temporary = true;

  constructor() {
    super('too many actions; slow down');
  }
}

/** A client message (`send`, `publish`) could not be handed to the backends' output. */
class OutputUnavailableError extends HeraldError {
  readonly code = 'output_unavailable';
  override readonly temporary = true;

  constructor(options?: ErrorOptions) {
    super('the message could not be forwarded', options);
  }
}

/**
 * The store (DynamoDB) did not answer in time, or kept failing, within a
 * call's timeout and bounded retries. Nothing was changed by this call, or
 * its write may still land; either way the same call may succeed later.
 * `operation` and `table` say which call, for logs; the wire body carries
 * neither.
 */
class StoreUnavailableError extends HeraldError {
  readonly code = 'store_unavailable';
  override readonly temporary = true;
  readonly operation: string;
  readonly table: string | undefined;

  constructor(
    operation: string,
    table: string | undefined,
    options?: ErrorOptions & { readonly message?: string },
  ) {
    super(options?.message ?? 'the store did not answer in time; try again later', options);
    this.operation = operation;
    this.table = table;
  }

  /** Work refused before it started, because too many store calls are already in flight. */
  static backlogged(): StoreUnavailableError {
    return new StoreUnavailableError('backlog', undefined, {
      message: 'too many store calls in flight; try again later',
    });
  }
}

/**
 * Something failed that is not the caller's fault (a store or network error).
 * The wire body never carries the cause; the cause is logged where it happened.
 */
class InternalError extends HeraldError {
  readonly code = 'internal_error';
  override readonly temporary = true;

  constructor(options?: ErrorOptions) {
    super('the action failed; try again', options);
  }
}

/** A backend call without a valid backend key. */
class UnauthorizedError extends HeraldError {
  readonly code = 'unauthorized';

  constructor(message = 'a valid backend key is required (Authorization: Bearer KEY)') {
    super(message);
  }
}

/** An HTTP route Herald does not serve. */
class NotFoundError extends HeraldError {
  readonly code = 'not_found';

  constructor(what: string) {
    super(`${what} is not a route of this server`);
  }
}

/** A route Herald serves, called with a method it does not answer there; `allow` lists those it does. */
class MethodNotAllowedError extends HeraldError {
  readonly code = 'method_not_allowed';
  readonly allow: readonly string[];

  constructor(method: string, path: string, allow: readonly string[]) {
    super(`${method} is not allowed on ${path}; use ${allow.join(' or ')}`);
    this.allow = allow;
  }
}

/** An error as it goes on the wire: in a WebSocket error frame and in an HTTP error body alike. */
interface WireError {
  readonly code: string;
  readonly message: string;
  /** True when the same call may succeed later; see `HeraldError.temporary`. */
  readonly temporary: boolean;
  /** The offending field, for `bad_request`. */
  readonly field?: string;
}

/**
 * The one mapping from an error to its wire body. A Herald error keeps its
 * code, message and field; anything else becomes `internal_error`, whose body
 * never carries the original message (it may hold internals).
 */
const wireError = (error: unknown): WireError => {
  const known = error instanceof HeraldError ? error : new InternalError();
  return {
    code: known.code,
    message: known.message,
    temporary: known.temporary,
    ...(known instanceof ValidationError ? { field: known.field } : {}),
  };
};

/** A WebSocket error frame: `{"type":"error", …wireError}`. */
const errorFrame = (error: unknown) => ({ type: 'error' as const, ...wireError(error) });

/**
 * Seconds a caller told `store_unavailable` should wait before trying again
 * (`Retry-After`): about one store call's whole bound (its attempts, each
 * with its deadline), at least 1.
 */
const storeRetryAfterSeconds = (timeoutMs: number, retries: number): number =>
  Math.max(1, Math.ceil((timeoutMs * (retries + 1)) / 1000));

export type { TokenDenialReason, WireError };
export {
  ChannelNotAllowedError,
  ConcurrencyConflictError,
  ConfigurationError,
  ConnectionNotFoundError,
  errorFrame,
  HeraldError,
  InternalError,
  KeySourceError,
  MethodNotAllowedError,
  NotFoundError,
  OutputUnavailableError,
  PayloadTooLargeError,
  RateLimitedError,
  StoreUnavailableError,
  StreamNotAllowedError,
  storeRetryAfterSeconds,
  TOKEN_DENIAL_REASONS,
  TokenDeniedError,
  TokenUserMismatchError,
  TooManyChannelsError,
  UnauthorizedError,
  UnknownActionError,
  ValidationError,
  wireError,
};
