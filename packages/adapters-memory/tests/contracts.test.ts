import { toWireMessage } from '@herald/domain';
import {
  describeClockContract,
  describeConnectionGatewayContract,
  describeConnectionStoreContract,
  describeEventPublisherContract,
  describeHistoryStoreContract,
  describeIdempotencyStoreContract,
  describeNodeStoreContract,
  describePresenceStoreContract,
  ManualClock,
  waitFor,
} from '@herald/domain/testing';
import { describe, expect, it } from 'vitest';
import {
  InMemoryConnectionGateway,
  InMemoryConnectionStore,
  InMemoryEventPublisher,
  InMemoryHistoryStore,
  InMemoryIdempotencyStore,
  InMemoryNodeStore,
  InMemoryPresenceStore,
} from '../src/index.js';

describeNodeStoreContract('InMemoryNodeStore', () => new InMemoryNodeStore());

describeHistoryStoreContract('InMemoryHistoryStore', (clock, retention) => {
  const store = new InMemoryHistoryStore(clock, { retention });
  return { store, peer: () => store };
});

describeIdempotencyStoreContract('InMemoryIdempotencyStore', () => {
  const store = new InMemoryIdempotencyStore();
  return { store, peer: () => store };
});

describeConnectionStoreContract(
  'InMemoryConnectionStore',
  (clock) => new InMemoryConnectionStore(clock),
);

describePresenceStoreContract('InMemoryPresenceStore', () => new InMemoryPresenceStore());
describePresenceStoreContract(
  'InMemoryPresenceStore, every record indexed',
  () => new InMemoryPresenceStore({ indexAbove: 0, compactAt: 0 }),
);

describeConnectionGatewayContract('InMemoryConnectionGateway', () => {
  const gateway = new InMemoryConnectionGateway();
  return {
    gateway,
    open: async () => {
      const connectionId = gateway.open();
      return {
        connectionId,
        messages: (count: number) =>
          waitFor(() => {
            const received = gateway.received(connectionId);
            return received.length >= count ? received.slice(0, count) : undefined;
          }),
      };
    },
  };
});

describeEventPublisherContract('InMemoryEventPublisher', () => {
  const publisher = new InMemoryEventPublisher();
  return {
    publisher,
    received: (count: number) =>
      waitFor(() =>
        publisher.events.length >= count
          ? publisher.events.slice(0, count).map(toWireMessage)
          : undefined,
      ),
  };
});

describeClockContract(
  'ManualClock (auto-advancing)',
  () => new ManualClock(Date.now(), { autoAdvance: true }),
);

describe('InMemoryHistoryStore', () => {
  it('forgets streams unused past their age, and starts a new epoch when one comes back', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new InMemoryHistoryStore(clock, { epoch: 'e' });
    const first = await store.append('user:gone', { id: 'a', data: '1', at: clock.now() });
    for (let i = 0; i < 20; i++) await store.read(`user:other-${i}`, 0);
    clock.advance(3_600_001);

    for (let i = 0; i < 20; i++) await store.read('user:kept', 0);
    const back = await store.read('user:gone', 0);

    expect(store.size).toBeLessThanOrEqual(2);
    expect(back).toMatchObject({ offset: 0, entries: [] });
    expect(back.epoch).not.toBe(first.epoch);
  });
});
