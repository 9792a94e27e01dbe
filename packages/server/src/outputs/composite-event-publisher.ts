import type { EventPublisher, OutboundEvent } from '@herald/domain';

/**
 * Publishes every event to several outputs at once. Rejects when any output
 * rejects, so the caller's retry (PresenceTracker's outbox, or the client's
 * error frame) covers it; outputs that did accept may then see a duplicate,
 * which presence events' stable ids let consumers drop.
 */
class CompositeEventPublisher implements EventPublisher {
  constructor(private readonly outputs: readonly EventPublisher[]) {}

  async publish(events: readonly OutboundEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Each output is called inside a promise, so one that throws synchronously
    // (or fails to serialise) is a rejection like any other, not a skipped rest.
    const results = await Promise.allSettled(
      this.outputs.map(async (output) => output.publish(events)),
    );
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    if (failures.length > 0) {
      throw new AggregateError(
        failures,
        `${failures.length} of ${this.outputs.length} outputs failed`,
      );
    }
  }
}

export { CompositeEventPublisher };
