import type { OutboundEvent } from '@herald/domain';
import { describe, expect, it } from 'vitest';
import { InMemoryEventPublisher } from '../src/index.js';

const event = (n: number): OutboundEvent => ({
  kind: 'presence',
  id: `u#${n}`,
  userId: 'u',
  status: n % 2 ? 'ONLINE' : 'OFFLINE',
  timestamp: n,
  version: n,
});

describe('InMemoryEventPublisher', () => {
  it('hands every event to subscribers and keeps only the last `keep`', async () => {
    const publisher = new InMemoryEventPublisher({ keep: 2 });
    const seen: string[] = [];
    const stop = publisher.subscribe((e) => seen.push(e.kind === 'presence' ? e.id : ''));

    await publisher.publish([event(1), event(2), event(3)]);
    stop();
    await publisher.publish([event(4)]);

    expect(seen).toEqual(['u#1', 'u#2', 'u#3']);
    expect(publisher.events.map((e) => (e.kind === 'presence' ? e.id : ''))).toEqual([
      'u#3',
      'u#4',
    ]);
  });

  it('rejects the next publishes when told to fail, then recovers', async () => {
    const publisher = new InMemoryEventPublisher();
    publisher.failNext(1);

    await expect(publisher.publish([event(1)])).rejects.toThrow('output unavailable');
    await publisher.publish([event(2)]);

    expect(publisher.events).toHaveLength(1);
  });
});
