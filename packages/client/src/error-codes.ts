/**
 * The codes of Herald's error catalogue (`@herald/domain`'s `errors.ts`, the
 * table in docs/protocol.md), copied so that the client has no run-time
 * dependency on the server's packages. A test checks this list against the
 * catalogue. The index exports only the types, so the list itself is not in
 * an application's bundle.
 */
const SERVER_ERROR_CODES = [
  'bad_request',
  'payload_too_large',
  'unknown_action',
  'channel_not_allowed',
  'too_many_channels',
  'connection_not_found',
  'rate_limited',
  'output_unavailable',
  'internal_error',
  'unauthorized',
  'not_found',
  'method_not_allowed',
  'configuration_error',
  'key_source_unavailable',
  'concurrency_conflict',
  'store_unavailable',
  'stream_not_allowed',
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
  'token_user_mismatch',
] as const;

/** The errors the client reports itself, from what it sees of the connection. */
const CLIENT_ERROR_CODES = [
  /** The token provider threw or returned something that is not a string. Retried with backoff. */
  'token_provider_failed',
  /** Several handshakes in a row failed before the socket opened: possibly the token is refused. Retried. */
  'handshake_failed',
  /** The server closed the connection with a close code that says not to come back. Stops. */
  'connection_refused',
  /** No pong (nor any frame) came within the pong timeout: the connection is dead. Reconnects. */
  'pong_timeout',
  /** The server does not know `resume`: notifications sent while disconnected cannot be recovered. */
  'resume_unsupported',
  /** `send`/`publish` while disconnected, with the outgoing queue full: the message was not sent. */
  'queue_full',
] as const;

type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];
type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export type { ClientErrorCode, ServerErrorCode };
export { CLIENT_ERROR_CODES, SERVER_ERROR_CODES };
