import { portableJson } from './portable-json.js';

type PresenceStatus = 'ONLINE' | 'OFFLINE';

/**
 * A user-level presence transition. `id` (`user#version`) is stable for one
 * transition, so a consumer can drop the rare duplicate that crash recovery
 * produces; `version` is the presence record's version that committed it, so
 * a consumer can order a user's events (they alternate ONLINE/OFFLINE in
 * version order, and their timestamps never run backwards).
 */
interface PresenceEvent {
  readonly kind: 'presence';
  readonly id: string;
  readonly userId: string;
  readonly status: PresenceStatus;
  readonly timestamp: number;
  readonly version: number;
}

/** What a client sent with `send` (to the backends' queue) or `publish` (to their topic). */
interface ClientMessageEvent {
  readonly kind: 'client_message';
  readonly route: 'send' | 'publish';
  readonly message: unknown;
  readonly userId: string;
  readonly connectionId: string;
  readonly timestamp: number;
}

type OutboundEvent = PresenceEvent | ClientMessageEvent;

/**
 * The wire body of a presence event: Sumu's shape (`type`, `message`), with
 * the event's `id` and `version` beside `message`, so Sumu's consumers read it
 * unchanged.
 */
const presenceBody = (event: PresenceEvent) => ({
  type: 'presence' as const,
  message: { user_id: event.userId, status: event.status, timestamp: event.timestamp },
  id: event.id,
  version: event.version,
});

/** The message attributes every presence event carries. */
const presenceAttributes = (event: PresenceEvent) => ({
  user_id: event.userId,
  source: 'presence' as const,
  id: event.id,
  version: String(event.version),
});

/** The message attributes every client message carries (docs/protocol.md, "Client messages"). */
const clientMessageAttributes = (event: ClientMessageEvent) => ({
  user_id: event.userId,
  connection_id: event.connectionId,
  timestamp: String(event.timestamp),
  source: `route.${event.route}` as const,
});

/**
 * An event as it goes over the wire to the backends: a JSON body and string
 * attributes. Presence uses Sumu's body with `id` and `version` beside its
 * `message`, and carries both as attributes too; a client message's body is the
 * client's `message`, with the protocol's attributes beside it (docs/protocol.md).
 */
interface WireMessage {
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** Ordering key for FIFO outputs: one group per user. */
  readonly groupId: string;
  /** Stable id for de-duplicating outputs. */
  readonly deduplicationId?: string;
}

const toWireMessage = (event: OutboundEvent): WireMessage => {
  if (event.kind === 'presence') {
    return {
      body: portableJson(presenceBody(event)),
      attributes: presenceAttributes(event),
      groupId: event.userId,
      deduplicationId: event.id,
    };
  }
  return {
    body: portableJson(event.message),
    attributes: clientMessageAttributes(event),
    groupId: event.userId,
  };
};

export type { ClientMessageEvent, OutboundEvent, PresenceEvent, PresenceStatus, WireMessage };
export { clientMessageAttributes, presenceAttributes, presenceBody, toWireMessage };
