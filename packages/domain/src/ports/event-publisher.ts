import type { OutboundEvent } from '../model/events.js';

/**
 * Where presence events and client messages go out to the backends.
 * Resolves once every event is accepted by the output; rejects otherwise, so
 * the caller can retry. Several events may be sent in one batch.
 */
interface EventPublisher {
  publish(events: readonly OutboundEvent[]): Promise<void>;
}

export type { EventPublisher };
