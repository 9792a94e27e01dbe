import { describe, expect, it } from 'vitest';
import { type EventPublisher, type OutboundEvent, RoutedEventPublisher } from '../src/index.js';

const recorder = () => {
  const calls: OutboundEvent[][] = [];
  const publisher: EventPublisher = { publish: async (events) => void calls.push([...events]) };
  return { calls, publisher };
};

const send: OutboundEvent = {
  kind: 'client_message',
  route: 'send',
  message: 1,
  userId: 'u',
  connectionId: 'c',
  timestamp: 1,
};
const publish: OutboundEvent = { ...send, route: 'publish', message: 2 };
const online: OutboundEvent = {
  kind: 'presence',
  id: 'u#1',
  userId: 'u',
  status: 'ONLINE',
  timestamp: 1,
  version: 1,
};

describe('RoutedEventPublisher', () => {
  it('sends send to the queue, publish to the topic, presence to its outputs, one call per output', async () => {
    const queue = recorder();
    const topic = recorder();
    const routed = new RoutedEventPublisher({
      send: [queue.publisher],
      publish: [topic.publisher],
      presence: [topic.publisher],
    });

    await routed.publish([send, publish, online]);

    expect(queue.calls).toEqual([[send]]);
    expect(topic.calls).toEqual([[publish, online]]);
  });

  it('rejects when an output fails, after giving every other output its events', async () => {
    const topic = recorder();
    const failing: EventPublisher = {
      publish: async () => Promise.reject(new Error('queue down')),
    };
    const routed = new RoutedEventPublisher({
      send: [failing],
      publish: [topic.publisher],
      presence: [],
    });

    await expect(routed.publish([send, publish])).rejects.toThrow('queue down');
    expect(topic.calls).toEqual([[publish]]);
  });
});
