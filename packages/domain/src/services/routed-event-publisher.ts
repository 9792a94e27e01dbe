import type { OutboundEvent } from '../model/events.js';
import type { EventPublisher } from '../ports/event-publisher.js';

/** Where each kind of event goes; an empty route drops that kind on purpose. */
interface EventRoutes {
  /** Client `send` messages: the backends' queue. */
  readonly send: readonly EventPublisher[];
  /** Client `publish` messages: the backends' topic. */
  readonly publish: readonly EventPublisher[];
  /** ONLINE/OFFLINE events. */
  readonly presence: readonly EventPublisher[];
}

/**
 * Sends each event where docs/protocol.md ("Events to the backends") says it goes: `send` to the queue,
 * `publish` to the topic, presence to its outputs. Events bound for the same
 * publisher go out in one call, so batching adapters can batch them.
 */
class RoutedEventPublisher implements EventPublisher {
  constructor(private readonly routes: EventRoutes) {}

  async publish(events: readonly OutboundEvent[]): Promise<void> {
    const batches = new Map<EventPublisher, OutboundEvent[]>();
    for (const event of events) {
      const route = event.kind === 'presence' ? this.routes.presence : this.routes[event.route];
      for (const publisher of route) {
        let batch = batches.get(publisher);
        if (batch === undefined) {
          batch = [];
          batches.set(publisher, batch);
        }
        batch.push(event);
      }
    }
    const results = await Promise.allSettled(
      [...batches].map(([publisher, batch]) => publisher.publish(batch)),
    );
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1)
      throw new AggregateError(failures, `${failures.length} outputs failed`);
  }
}

export type { EventRoutes };
export { RoutedEventPublisher };
