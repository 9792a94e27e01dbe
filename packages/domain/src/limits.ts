/**
 * API Gateway WebSocket limits, which Herald applies in every deployment so
 * that a client behaves the same on Lambda and on the embedded server.
 */
const LIMITS = {
  /** Largest message API Gateway accepts, and so the largest notification payload. */
  maxMessageBytes: 128 * 1024,
  /** Largest single client frame. */
  maxFrameBytes: 32 * 1024,
  /** A connection with no traffic for this long is closed. */
  idleTimeoutMs: 10 * 60 * 1000,
  /** A connection is closed at this age, whatever its traffic. */
  maxConnectionAgeMs: 2 * 60 * 60 * 1000,
  /** Longest raw token accepted; larger ones are refused before any parsing. */
  maxTokenBytes: 8 * 1024,
  /** Longest connection, user or channel id. */
  maxIdLength: 256,
  /** Most ids in one target list of a notification request. */
  maxTargetsPerList: 10_000,
  /**
   * Most channels one connection is subscribed to at once. Every subscription
   * is a membership item that the connection's disconnect deletes, and the
   * connection's own record lists them (a DynamoDB item holds 400 KB), so a
   * token allowing every channel (`*`) must not mean unbounded subscriptions.
   */
  maxChannelsPerConnection: 100,
  /**
   * Deepest nesting of arrays and objects in a free-form value (a client
   * frame's `message`, a notification request's `data` or `Body`): the value
   * itself counts as level 1. Deeper values are refused with `bad_request`, so
   * that no output's serialiser can overflow its stack on them.
   */
  maxNestingDepth: 64,
} as const;

type Limits = typeof LIMITS;

export type { Limits };
export { LIMITS };
