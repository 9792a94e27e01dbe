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
