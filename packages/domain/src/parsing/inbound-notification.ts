import { type PayloadTooLargeError, ValidationError } from '../errors.js';
import type { BroadcastShard } from '../model/connection.js';
import type { Continuation } from '../model/continuation.js';
import type { NotificationRequest } from '../model/notification-request.js';
import type { NotificationStamp } from '../model/stream.js';
import { err, ok, type Result } from '../result.js';
import { parseJsonInput } from './json-input.js';
import {
  MAX_REQUEST_BYTES,
  parseNotificationBatch,
  parseNotificationRequest,
} from './notification-request-parser.js';
import { decodeHeraldEnvelope } from './shard-envelope.js';

type InboundError = ValidationError | PayloadTooLargeError;

/** Which shapes an edge takes, besides one request. */
interface InboundAccepts {
  /** A JSON array of requests, each parsed on its own (the HTTP API). @default false */
  readonly batch?: boolean;
  /**
   * Herald's envelopes: shard messages and continuations (the queues that
   * carry their own broadcast shards and continuations). @default false
   */
  readonly shard?: boolean;
}

/**
 * An inbound notification message, parsed. `input` is the request as the
 * sender wrote it (before mapping to the canonical form), which is what a
 * broadcast's shard messages carry.
 */
type InboundNotification =
  | { readonly kind: 'request'; readonly request: NotificationRequest; readonly input: unknown }
  | {
      readonly kind: 'shard';
      readonly request: NotificationRequest;
      readonly shard: BroadcastShard;
      readonly input: unknown;
      /** Where the shard resumes, when it is a shard's continuation. */
      readonly continuation?: Continuation;
      /** Where the request was kept, when history is kept. */
      readonly stamp?: NotificationStamp;
    }
  | {
      /** The rest of a request: exactly `continuation.connections`. */
      readonly kind: 'continuation';
      readonly request: NotificationRequest;
      readonly continuation: Continuation;
      readonly input: unknown;
      readonly stamp?: NotificationStamp;
    }
  | {
      readonly kind: 'batch';
      /** One result per array entry, so one bad request never sinks the others. */
      readonly entries: readonly Result<NotificationRequest, InboundError>[];
    };

/**
 * The one entry point for a notification message arriving at any edge (the
 * queue or topic consumer, the HTTP API, the input poller): strict UTF-8
 * decoding of bytes, the 1 MiB size cap, JSON, then the shard envelope (where
 * accepted), then one request or (where accepted) a batch. Never throws: every
 * problem comes back as an error that names the field.
 */
const parseInboundNotification = (
  raw: string | Uint8Array,
  accepts: InboundAccepts = {},
): Result<InboundNotification, InboundError> => {
  const json = parseJsonInput(raw, 'notification request', MAX_REQUEST_BYTES);
  if (!json.ok) return json;
  const input = json.value;
  if (accepts.batch === true && Array.isArray(input)) {
    return ok({ kind: 'batch', entries: parseNotificationBatch(input) });
  }
  const envelope = accepts.shard === true ? decodeHeraldEnvelope(input) : undefined;
  if (envelope !== undefined) {
    if (!envelope.ok) return envelope;
    const { shard, continuation, stamp, request: sent } = envelope.value;
    const stamped = stamp === undefined ? {} : { stamp };
    const request = parseNotificationRequest(sent);
    if (!request.ok) {
      const { error } = request;
      return err(error instanceof ValidationError ? error.within('request') : error);
    }
    if (shard !== undefined) {
      return ok({
        kind: 'shard',
        request: request.value,
        shard,
        input: sent,
        ...(continuation === undefined ? {} : { continuation }),
        ...stamped,
      });
    }
    if (continuation !== undefined) {
      return ok({
        kind: 'continuation',
        request: request.value,
        continuation,
        input: sent,
        ...stamped,
      });
    }
  }
  const request = parseNotificationRequest(input);
  if (!request.ok) return request;
  return ok({ kind: 'request', request: request.value, input });
};

export type { InboundAccepts, InboundError, InboundNotification };
export { parseInboundNotification };
