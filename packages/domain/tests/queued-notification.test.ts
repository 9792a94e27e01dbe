import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeContinuationMessage,
  encodeDeadLetterMessage,
  encodeShardMessage,
  type InboundError,
  parseQueuedNotification,
  RefusedMessageError,
  type ShardQueue,
} from '../src/index.js';

/** A queue that keeps the dead letters it is given, as their bodies go onto the queue. */
const recordingQueue = (deadLetter?: ShardQueue['deadLetter']) => {
  const deadLetters: string[] = [];
  const queue: ShardQueue = {
    enqueue: async () => {
      throw new Error('no shards here');
    },
    carry: async () => {
      throw new Error('no continuations here');
    },
    deadLetter:
      deadLetter ??
      (async (body: string, reason: InboundError) => {
        deadLetters.push(encodeDeadLetterMessage(body, reason));
      }),
  };
  return { queue, deadLetters };
};

describe('a message taken from a notifications queue', () => {
  it('is accepted as a request, a shard or a continuation, and sets nothing aside', async () => {
    const { queue, deadLetters } = recordingQueue();
    const request = { users: ['u1'], data: { n: 1 } };
    const bodies = [
      JSON.stringify(request),
      encodeShardMessage({ data: 1 }, { segment: 0, totalSegments: 2 }),
      encodeContinuationMessage({
        request,
        continuation: { attempt: 1, connections: ['c1'] },
        delaySeconds: 0,
      }),
    ];

    const kinds = [];
    for (const body of bodies) {
      const parsed = await parseQueuedNotification(body, queue);
      kinds.push(parsed.kind === 'accepted' ? parsed.message.kind : parsed.kind);
    }

    expect(kinds).toEqual(['request', 'shard', 'continuation']);
    expect(deadLetters).toEqual([]);
  });

  it('is set aside, when malformed, as a dead letter holding it and the reason', async () => {
    const { queue, deadLetters } = recordingQueue();

    const parsed = await parseQueuedNotification('{"users":[1],"data":2}', queue);

    expect(parsed).toMatchObject({
      kind: 'set_aside',
      error: { code: 'bad_request', field: 'users[0]' },
    });
    expect(deadLetters.map((body) => JSON.parse(body))).toEqual([
      {
        herald_dead_letter: {
          code: 'bad_request',
          field: 'users[0]',
          message: expect.stringMatching(/^users\[0\]: /),
        },
        body: '{"users":[1],"data":2}',
      },
    ]);
  });

  it('fails, naming the reason, when it is a dead letter received back, and sets nothing aside again', async () => {
    const first = recordingQueue();
    await parseQueuedNotification('not json', first.queue);
    const { queue, deadLetters } = recordingQueue();

    const received = parseQueuedNotification(first.deadLetters[0] as string, queue);

    await expect(received).rejects.toBeInstanceOf(RefusedMessageError);
    await expect(received).rejects.toMatchObject({
      code: 'request_refused',
      reason: { code: 'bad_request', field: '$' },
      message: expect.stringContaining('$: is not valid JSON'),
    });
    expect(deadLetters).toEqual([]);
  });

  it('fails with the refusal, when it cannot be set aside, so that it reaches the DLQ as it came', async () => {
    const { queue } = recordingQueue(async () => {
      throw new Error('message too long');
    });

    const received = parseQueuedNotification('{"users":"u1","data":1}', queue);

    await expect(received).rejects.toThrow(/^users: .*could not be set aside.*message too long/);
  });

  it('keeps any body in its dead letter exactly, in a body SQS takes', async () => {
    const SQS_BODY = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 200 }), async (text) => {
        const body = `{"users":${JSON.stringify(text)}}`;
        const { queue, deadLetters } = recordingQueue();

        await parseQueuedNotification(body, queue);

        expect(deadLetters).toHaveLength(1);
        expect(deadLetters[0]).toMatch(SQS_BODY);
        expect(JSON.parse(deadLetters[0] as string).body).toBe(body);
      }),
      { numRuns: 200 },
    );
  });
});
