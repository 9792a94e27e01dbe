type PresenceStatus = 'ONLINE' | 'OFFLINE';

/**
 * A user-level presence transition. `id` is stable for one transition, so a
 * consumer can drop the rare duplicate that at-least-once delivery produces.
 */
interface PresenceEvent {
  readonly kind: 'presence';
  readonly id: string;
  readonly userId: string;
  readonly status: PresenceStatus;
  readonly timestamp: number;
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

/** The wire body of a presence event (Sumu's shape). */
const presenceBody = (event: PresenceEvent) => ({
  type: 'presence' as const,
  message: { user_id: event.userId, status: event.status, timestamp: event.timestamp },
});

/** The message attributes every client message carries (DESIGN.md). */
const clientMessageAttributes = (event: ClientMessageEvent) => ({
  user_id: event.userId,
  connection_id: event.connectionId,
  timestamp: String(event.timestamp),
  source: `route.${event.route}` as const,
});

/**
 * An event as it goes over the wire to the backends: a JSON body and string
 * attributes. Presence uses Sumu's body; a client message's body is the
 * client's `message`, with DESIGN.md's attributes beside it.
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
      body: JSON.stringify(presenceBody(event)),
      attributes: { user_id: event.userId, source: 'presence' },
      groupId: event.userId,
      deduplicationId: event.id,
    };
  }
  return {
    body: JSON.stringify(event.message) ?? 'null',
    attributes: clientMessageAttributes(event),
    groupId: event.userId,
  };
};

export type { ClientMessageEvent, OutboundEvent, PresenceEvent, PresenceStatus, WireMessage };
export { clientMessageAttributes, presenceBody, toWireMessage };
