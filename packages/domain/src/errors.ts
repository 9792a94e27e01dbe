/**
 * Every error Herald raises carries a stable `code`. Callers and tests match on
 * the code, never on the message text, which may be reworded.
 */
abstract class HeraldError extends Error {
  abstract readonly code: string;

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
type TokenDenialReason =
  | 'token_missing'
  | 'token_too_large'
  | 'token_malformed'
  | 'token_alg_not_allowed'
  | 'token_key_mismatch'
  | 'token_unknown_kid'
  | 'token_key_unavailable'
  | 'token_signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_issuer_invalid'
  | 'token_audience_invalid'
  | 'token_claim_invalid';

/** Why a token was refused. The message never contains the token itself. */
class TokenDeniedError extends HeraldError {
  readonly code: TokenDenialReason;

  constructor(code: TokenDenialReason, detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.code = code;
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
}

/** A compare-and-set lost its race too many times in a row. */
class ConcurrencyConflictError extends HeraldError {
  readonly code = 'concurrency_conflict';
}

export type { TokenDenialReason };
export {
  ChannelNotAllowedError,
  ConcurrencyConflictError,
  ConfigurationError,
  ConnectionNotFoundError,
  HeraldError,
  KeySourceError,
  PayloadTooLargeError,
  TokenDeniedError,
  UnknownActionError,
  ValidationError,
};
