import { portableJson } from '../model/portable-json.js';
import type { ShardQueue } from '../ports/shard-queue.js';
import {
  type InboundError,
  type InboundNotification,
  parseInboundNotification,
} from './inbound-notification.js';
import { isPlainObject, parseJsonInput } from './json-input.js';
import { MAX_REQUEST_BYTES } from './notification-request-parser.js';

/** Why a request was refused, as its dead letter keeps it. */
interface RefusalReason {
  readonly code: string;
  /** The offending field, for a malformed request. */
  readonly field?: string;
  readonly message: string;
}

/**
 * A message a notifications queue or topic delivered that Herald refused: its
 * body as it came (`body`), and why (`herald_dead_letter`).
 */
interface DeadLetterMessage {
  readonly herald_dead_letter: RefusalReason;
  readonly body: string;
}

/** The body of a refused message's dead letter. */
const encodeDeadLetterMessage = (body: string, error: InboundError): string =>
  portableJson({
    herald_dead_letter: {
      code: error.code,
      ...('field' in error ? { field: error.field } : {}),
      message: error.message,
    },
    body,
  } satisfies DeadLetterMessage);

/** The dead letter `value` is, when it is one. */
const asDeadLetter = (value: unknown): DeadLetterMessage | undefined => {
  if (!isPlainObject(value) || typeof value.body !== 'string') return undefined;
  const reason = value.herald_dead_letter;
  if (!isPlainObject(reason) || typeof reason.code !== 'string') return undefined;
  if (typeof reason.message !== 'string') return undefined;
  return {
    herald_dead_letter: {
      code: reason.code,
      ...(typeof reason.field === 'string' ? { field: reason.field } : {}),
      message: reason.message,
    },
    body: value.body,
  };
};

/**
 * A dead letter received back from its queue. It fails on purpose, so that
 * the queue moves it to its dead-letter queue after its retries, where the
 * body holds the refused message and its reason.
 */
class RefusedMessageError extends Error {
  readonly code = 'request_refused';

  constructor(readonly reason: RefusalReason) {
    super(`refused and kept for the dead-letter queue: ${reason.message}`);
    this.name = 'RefusedMessageError';
  }
}

/** A message from a notifications queue or topic, after `parseQueuedNotification`. */
type QueuedNotification =
  | { readonly kind: 'accepted'; readonly message: Exclude<InboundNotification, { kind: 'batch' }> }
  /** Refused, and set aside on the queue as a dead letter: acknowledge the message. */
  | { readonly kind: 'set_aside'; readonly error: InboundError };

/**
 * Parses a message taken from a notifications queue or topic (Herald's shard
 * and continuation envelopes included). A malformed request never becomes
 * well formed, so it is not retried: it is set aside on `queue` as a dead
 * letter holding the body and the reason, which fails when it is received
 * (RefusedMessageError), so that the queue moves it to its dead-letter queue
 * with the reason beside the body. The caller acknowledges a `set_aside`
 * message. Should setting it aside fail (the queue refuses, or the dead
 * letter would be too large for it), the refusal is thrown instead: the
 * message then fails, and reaches the dead-letter queue as it came.
 */
const parseQueuedNotification = async (
  body: string,
  queue: ShardQueue,
): Promise<QueuedNotification> => {
  const parsed = parseInboundNotification(body, { shard: true });
  if (parsed.ok) {
    if (parsed.value.kind === 'batch') throw new Error('unreachable: batches are not accepted');
    return { kind: 'accepted', message: parsed.value };
  }
  // Only a body that does not parse as a request is read again, to tell a dead letter.
  const json = parseJsonInput(body, 'notification message', MAX_REQUEST_BYTES);
  const deadLetter = json.ok ? asDeadLetter(json.value) : undefined;
  if (deadLetter !== undefined) throw new RefusedMessageError(deadLetter.herald_dead_letter);
  try {
    await queue.deadLetter(body, parsed.error);
  } catch (cause) {
    throw new AggregateError(
      [parsed.error, cause],
      `${parsed.error.message} (and it could not be set aside as a dead letter: ${cause instanceof Error ? cause.message : String(cause)})`,
    );
  }
  return { kind: 'set_aside', error: parsed.error };
};

export type { DeadLetterMessage, QueuedNotification, RefusalReason };
export { encodeDeadLetterMessage, parseQueuedNotification, RefusedMessageError };
