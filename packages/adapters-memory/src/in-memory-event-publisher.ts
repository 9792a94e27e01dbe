import type { EventPublisher, OutboundEvent } from '@herald/domain';

type EventListener = (event: OutboundEvent) => void;

/**
 * An EventPublisher that keeps events in memory and hands them to in-process
 * subscribers (the embedded server's library API). It can be told to fail, so
 * tests can check that nothing is lost when an output is down.
 */
class InMemoryEventPublisher implements EventPublisher {
  /** The events accepted, in order: all of them, or the last `keep`. */
  readonly events: OutboundEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  private readonly keep: number;
  private failures: Error[] = [];

  /** @param options.keep how many recent events to retain in `events` (default: all; 0 in a long-running server). */
  constructor(options: { readonly keep?: number } = {}) {
    this.keep = options.keep ?? Number.POSITIVE_INFINITY;
  }

  async publish(events: readonly OutboundEvent[]): Promise<void> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    for (const event of events) {
      if (this.keep > 0) this.events.push(event);
      if (this.events.length > this.keep) this.events.shift();
      for (const listener of this.listeners) listener(event);
    }
  }

  /** Calls `listener` for every event from now on; returns a function that stops it. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Makes the next `times` publish calls reject with `error`. */
  failNext(times: number, error = new Error('output unavailable')): void {
    for (let i = 0; i < times; i++) this.failures.push(error);
  }
}

export type { EventListener };
export { InMemoryEventPublisher };
