import { type PayloadTooLargeError, ValidationError } from '../errors.js';
import type { BroadcastShard } from '../model/connection.js';
import type { NotificationRequest } from '../model/notification-request.js';
import { err, ok, type Result } from '../result.js';
import { parseJsonInput } from './json-input.js';
import {
  MAX_REQUEST_BYTES,
  parseNotificationBatch,
  parseNotificationRequest,
} from './notification-request-parser.js';
import { decodeShardMessage } from './shard-envelope.js';

type InboundError = ValidationError | PayloadTooLargeError;

/** Which shapes an edge takes, besides one request. */
interface InboundAccepts {
  /** A JSON array of requests, each parsed on its own (the HTTP API). @default false */
  readonly batch?: boolean;
  /** A shard message (the notifications queue, which carries its own broadcast shards). @default false */
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
  const envelope = accepts.shard === true ? decodeShardMessage(input) : undefined;
  if (envelope !== undefined) {
    if (!envelope.ok) return envelope;
    const { herald_shard: shard, request: sent } = envelope.value;
    const request = parseNotificationRequest(sent);
    if (!request.ok) {
      const { error } = request;
      return err(error instanceof ValidationError ? error.within('request') : error);
    }
    return ok({ kind: 'shard', request: request.value, shard, input: sent });
  }
  const request = parseNotificationRequest(input);
  if (!request.ok) return request;
  return ok({ kind: 'request', request: request.value, input });
};

export type { InboundAccepts, InboundError, InboundNotification };
export { parseInboundNotification };
