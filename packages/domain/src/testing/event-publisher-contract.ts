import { describe, expect, it } from 'vitest';
import type { OutboundEvent, WireMessage } from '../model/events.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import { freshHarness } from './fresh-harness.js';

interface PublisherHarness {
  readonly publisher: EventPublisher;
  /** Resolves with the first `count` messages that reached the backends' side, as sent on the wire. */
  received(count: number): Promise<readonly WireMessage[]>;
  dispose?(): Promise<void>;
}

type PublisherHarnessFactory = () => PublisherHarness | Promise<PublisherHarness>;

const presence = (
  userId: string,
  status: 'ONLINE' | 'OFFLINE',
  version: number,
): OutboundEvent => ({
  kind: 'presence',
  id: `${userId}#${version}`,
  userId,
  status,
  timestamp: 1_700_000_000_000 + version,
  version,
});

const clientMessage = (route: 'send' | 'publish', message: unknown): OutboundEvent => ({
  kind: 'client_message',
  route,
  message,
  userId: 'u1',
  connectionId: 'conn-1',
  timestamp: 1_700_000_000_123,
});

const bodies = (messages: readonly WireMessage[]) => messages.map((m) => JSON.parse(m.body));

/** The behaviour every EventPublisher must have, checked on what the backends receive. */
const describeEventPublisherContract = (name: string, factory: PublisherHarnessFactory): void => {
  describe(`EventPublisher contract: ${name}`, () => {
    const setup = freshHarness(factory);

    it("publishes a presence event in the Sumu shape, with its id and version beside Sumu's message", async () => {
      const { publisher, received } = await setup();

      await publisher.publish([presence('u1', 'ONLINE', 1)]);

      const [message] = await received(1);
      expect(JSON.parse(message?.body ?? 'null')).toEqual({
        type: 'presence',
        message: { user_id: 'u1', status: 'ONLINE', timestamp: 1_700_000_000_001 },
        id: 'u1#1',
        version: 1,
      });
    });

    it("carries a presence event's id and version as message attributes", async () => {
      const { publisher, received } = await setup();

      await publisher.publish([presence('u2', 'OFFLINE', 12)]);

      const [message] = await received(1);
      expect(message?.attributes).toMatchObject({
        user_id: 'u2',
        source: 'presence',
        id: 'u2#12',
        version: '12',
      });
    });

    it('publishes client messages with their attributes', async () => {
      const { publisher, received } = await setup();

      await publisher.publish([clientMessage('send', { text: 'hi' })]);
      await publisher.publish([clientMessage('publish', ['a', 1])]);

      const messages = await received(2);
      const bySource = new Map(messages.map((m) => [m.attributes.source, m]));
      expect(JSON.parse(bySource.get('route.send')?.body ?? 'null')).toEqual({ text: 'hi' });
      expect(JSON.parse(bySource.get('route.publish')?.body ?? 'null')).toEqual(['a', 1]);
      expect(bySource.get('route.send')?.attributes).toMatchObject({
        user_id: 'u1',
        connection_id: 'conn-1',
        timestamp: '1700000000123',
      });
    });

    it('publishes an empty batch as nothing', async () => {
      const { publisher, received } = await setup();

      await publisher.publish([]);
      await publisher.publish([presence('u9', 'OFFLINE', 7)]);

      expect(bodies(await received(1))).toEqual([
        {
          type: 'presence',
          message: { user_id: 'u9', status: 'OFFLINE', timestamp: 1_700_000_000_007 },
          id: 'u9#7',
          version: 7,
        },
      ]);
    });

    it('publishes every event of a batch larger than the output batch limit, once each', async () => {
      const { publisher, received } = await setup();
      const events = Array.from({ length: 23 }, (_, i) => presence(`user-${i}`, 'ONLINE', i + 1));

      await publisher.publish(events);

      const users = bodies(await received(23)).map((b) => b.message.user_id);
      expect(users.sort()).toEqual(events.map((e) => e.userId).sort());
    });
  });
};

export type { PublisherHarness, PublisherHarnessFactory };
export { describeEventPublisherContract };
