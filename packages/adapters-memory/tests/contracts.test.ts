import { toWireMessage } from '@herald/domain';
import {
  describeClockContract,
  describeConnectionGatewayContract,
  describeConnectionStoreContract,
  describeEventPublisherContract,
  describeKeySourceContract,
  describePresenceStoreContract,
  ManualClock,
  waitFor,
} from '@herald/domain/testing';
import {
  InMemoryConnectionGateway,
  InMemoryConnectionStore,
  InMemoryEventPublisher,
  InMemoryPresenceStore,
  StaticKeySource,
  SystemClock,
} from '../src/index.js';

const secret = (kid: string) => ({
  kind: 'secret' as const,
  kid,
  secret: new TextEncoder().encode(`secret-for-${kid}-padded-to-32-bytes-at-least`),
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

describeKeySourceContract('StaticKeySource', () => {
  const source = new StaticKeySource({ keys: [secret('k1'), secret('k2')] });
  return {
    source,
    initialKids: ['k1', 'k2'],
    rotate: async () => {
      source.replace({ keys: [secret('k3')] });
      return ['k3'];
    },
    break: async () => source.fail(),
  };
});

describeClockContract('SystemClock', () => new SystemClock());

describeClockContract(
  'ManualClock (auto-advancing)',
  () => new ManualClock(Date.now(), { autoAdvance: true }),
);
