import { describe, expect, it } from 'vitest';
import {
  ChannelNotAllowedError,
  errorFrame,
  OutputUnavailableError,
  PayloadTooLargeError,
  UnknownActionError,
} from '../errors.js';
import { LIMITS } from '../limits.js';
import { type ClientMessageEvent, clientMessageAttributes } from '../model/events.js';
import { parseClientFrame } from '../parsing/client-frame-parser.js';
import { freshHarness } from './fresh-harness.js';

/** What one frame caused on its connection. */
interface FrameOutcome {
  /** The replies the frame caused, parsed, in order; none for a forwarded message. */
  readonly replies: readonly unknown[];
  /** The close code, when the transport closed the connection instead. */
  readonly closedWith?: number;
}

/** One client connection of the runtime under test. */
interface ProtocolClient {
  readonly connectionId: string;
  /** Sends one text frame and resolves once it has been handled. */
  send(frame: string): Promise<FrameOutcome>;
}

/** A runtime (the embedded server, the Lambda handlers) driven as a client and a backend see it. */
interface ProtocolHarness {
  /** Opens a connection for `userId` whose token allows `channels`. */
  connect(userId: string, channels: readonly string[]): Promise<ProtocolClient>;
  /** The client messages forwarded to the backends so far, in order. */
  forwarded(): readonly ClientMessageEvent[];
  /** The next forward fails, as a backends' output that is down does. */
  failNextForward(): void;
  /**
   * True where the transport, as API Gateway does, closes a connection on a
   * frame over 32 KB with 1009 before the protocol sees it (the embedded
   * server); false where such a message reaches the protocol (the Lambda
   * action handler, given a message API Gateway assembled from frames).
   */
  readonly closesOversizedFrames: boolean;
  dispose?(): Promise<void>;
}

type ProtocolHarnessFactory = () => ProtocolHarness | Promise<ProtocolHarness>;

const frame = (value: unknown) => JSON.stringify(value);

/** The catalogue's error frame for what the domain's parser finds wrong with `raw`. */
const refusalOf = (raw: string) => {
  const parsed = parseClientFrame(raw);
  if (parsed.ok) throw new Error(`the scenario's frame ${raw} parses`);
  return errorFrame(parsed.error);
};

/**
 * The client protocol as every runtime must speak it: the same frames give
 * the same replies (the catalogue's error frames, exactly) and the same
 * forwarded events, whichever transport carries them.
 */
const describeClientProtocolScenarios = (name: string, factory: ProtocolHarnessFactory): void => {
  describe(`client protocol: ${name}`, () => {
    const harness = freshHarness(factory);

    it('answers ping with a pong carrying the connection id', async () => {
      const runtime = await harness();
      const client = await runtime.connect('alice', []);

      const outcome = await client.send(frame({ action: 'ping' }));

      expect(outcome).toEqual({
        replies: [{ type: 'pong', connectionId: client.connectionId }],
      });
    });

    it('forwards send and publish with the user, connection, arrival time and route, answering nothing', async () => {
      const runtime = await harness();
      const client = await runtime.connect('alice', []);

      const before = Date.now();
      const outcomes = [
        await client.send(frame({ action: 'send', message: { hi: 1 } })),
        await client.send(frame({ action: 'publish', message: 'two' })),
      ];
      const after = Date.now();

      expect(outcomes).toEqual([{ replies: [] }, { replies: [] }]);
      const events = runtime.forwarded();
      expect(events).toEqual([
        {
          kind: 'client_message',
          route: 'send',
          message: { hi: 1 },
          userId: 'alice',
          connectionId: client.connectionId,
          timestamp: expect.any(Number),
        },
        {
          kind: 'client_message',
          route: 'publish',
          message: 'two',
          userId: 'alice',
          connectionId: client.connectionId,
          timestamp: expect.any(Number),
        },
      ]);
      for (const event of events) {
        expect(event.timestamp).toBeGreaterThanOrEqual(before);
        expect(event.timestamp).toBeLessThanOrEqual(after);
      }
      expect(events.map(clientMessageAttributes)).toEqual(
        events.map((event) => ({
          user_id: 'alice',
          connection_id: client.connectionId,
          timestamp: String(event.timestamp),
          source: `route.${event.route}`,
        })),
      );
    });

    it('subscribes to and unsubscribes from an allowed channel, and refuses one the token does not allow', async () => {
      const runtime = await harness();
      const client = await runtime.connect('alice', ['room-1']);

      const outcomes = [
        await client.send(frame({ action: 'subscribe', channel: 'room-1' })),
        await client.send(frame({ action: 'subscribe', channel: 'room-2' })),
        await client.send(frame({ action: 'unsubscribe', channel: 'room-1' })),
      ];

      expect(outcomes).toEqual([
        { replies: [{ type: 'subscribed', channel: 'room-1' }] },
        { replies: [errorFrame(new ChannelNotAllowedError('room-2'))] },
        { replies: [{ type: 'unsubscribed', channel: 'room-1' }] },
      ]);
    });

    it('refuses a malformed channel name on subscribe and unsubscribe, naming the field', async () => {
      const runtime = await harness();
      const client = await runtime.connect('alice', ['*']);
      const frames = [
        frame({ action: 'subscribe', channel: 'no spaces' }),
        frame({ action: 'unsubscribe' }),
      ];

      const outcomes = [await client.send(frames[0] ?? ''), await client.send(frames[1] ?? '')];

      expect(outcomes).toEqual(frames.map((raw) => ({ replies: [refusalOf(raw)] })));
      expect(outcomes.map((o) => o.replies[0])).toEqual([
        expect.objectContaining({ code: 'bad_request', field: 'channel', temporary: false }),
        expect.objectContaining({ code: 'bad_request', field: 'channel', temporary: false }),
      ]);
    });

    it('answers an unknown action with unknown_action, and keeps the connection open', async () => {
      const runtime = await harness();
      const client = await runtime.connect('alice', []);

      const unknown = await client.send(frame({ action: 'dance' }));
      const after = await client.send(frame({ action: 'ping' }));

      expect(unknown).toEqual({ replies: [errorFrame(new UnknownActionError('dance'))] });
      expect(after.replies).toEqual([{ type: 'pong', connectionId: client.connectionId }]);
    });

    it('answers non-JSON, a non-object and a send without message with bad_request naming the field', async () => {
      const runtime = await harness();
      const client = await runtime.connect('alice', []);
      const frames = ['this is not json', '[1,2]', frame({ action: 'send' })];

      const outcomes = [];
      for (const raw of frames) outcomes.push(await client.send(raw));

      expect(outcomes).toEqual(frames.map((raw) => ({ replies: [refusalOf(raw)] })));
      expect(outcomes.map((o) => (o.replies[0] as { field?: string }).field)).toEqual([
        '$',
        '$',
        'message',
      ]);
      expect(runtime.forwarded()).toEqual([]);
    });

    it('refuses a message over 32 KB without forwarding it', async () => {
      const runtime = await harness();
      const client = await runtime.connect('alice', []);
      const oversized = frame({ action: 'send', message: 'x'.repeat(LIMITS.maxFrameBytes) });

      const outcome = await client.send(oversized);

      expect(outcome).toEqual(
        runtime.closesOversizedFrames
          ? { replies: [], closedWith: 1009 }
          : {
              replies: [
                errorFrame(
                  new PayloadTooLargeError(
                    'frame',
                    new TextEncoder().encode(oversized).length,
                    LIMITS.maxFrameBytes,
                  ),
                ),
              ],
            },
      );
      expect(runtime.forwarded()).toEqual([]);
    });

    it('answers output_unavailable when the output fails, and keeps the connection open', async () => {
      const runtime = await harness();
      const client = await runtime.connect('alice', []);

      runtime.failNextForward();
      const failed = await client.send(frame({ action: 'send', message: 'lost' }));
      const retried = await client.send(frame({ action: 'send', message: 'kept' }));

      expect(failed).toEqual({ replies: [errorFrame(new OutputUnavailableError())] });
      expect((failed.replies[0] as { temporary: boolean }).temporary).toBe(true);
      expect(retried).toEqual({ replies: [] });
      expect(runtime.forwarded().map((e) => e.message)).toEqual(['kept']);
    });

    it('keeps connections apart: each message carries its own connection and user', async () => {
      const runtime = await harness();
      const alice = await runtime.connect('alice', []);
      const bob = await runtime.connect('bob', []);

      await alice.send(frame({ action: 'send', message: 'a' }));
      await bob.send(frame({ action: 'publish', message: 'b' }));

      expect(alice.connectionId).not.toBe(bob.connectionId);
      expect(runtime.forwarded().map((e) => [e.userId, e.connectionId, e.message])).toEqual([
        ['alice', alice.connectionId, 'a'],
        ['bob', bob.connectionId, 'b'],
      ]);
    });
  });
};

export type { FrameOutcome, ProtocolClient, ProtocolHarness, ProtocolHarnessFactory };
export { describeClientProtocolScenarios };
