import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { OutboundEvent } from '@herald/domain';
import { describeEventPublisherContract } from '@herald/domain/testing';
import { describe, expect, it } from 'vitest';
import { SnsEventPublisher } from '../src/sns/index.js';
import { PublishError, SqsEventPublisher } from '../src/sqs/index.js';
import { createQueue, createTopicWithQueue, receive, snsClient, sqsClient } from './support/aws.js';

describeEventPublisherContract('SqsEventPublisher (fauxqs)', async () => {
  const sqs = sqsClient();
  const queue = await createQueue(sqs);
  return {
    publisher: new SqsEventPublisher(sqs, { queueUrl: queue.url }),
    received: receive(sqs, queue.url),
  };
});

describeEventPublisherContract(
  'SnsEventPublisher, through an SQS subscription (fauxqs)',
  async () => {
    const sqs = sqsClient();
    const { topicArn, queue } = await createTopicWithQueue(snsClient(), sqs);
    return {
      publisher: new SnsEventPublisher(snsClient(), { topicArn }),
      received: receive(sqs, queue.url),
    };
  },
);

const clientMessage = (userId: string, n: number): OutboundEvent => ({
  kind: 'client_message',
  route: 'publish',
  message: { n },
  userId,
  connectionId: `conn-${userId}`,
  timestamp: 1_700_000_000_000 + n,
});

describe('SNS and SQS publishers', () => {
  it('deliver a client message through an SNS→SQS subscription with every attribute', async () => {
    const sqs = sqsClient();
    const { topicArn, queue } = await createTopicWithQueue(snsClient(), sqs);

    await new SnsEventPublisher(snsClient(), { topicArn }).publish([clientMessage('alice', 1)]);

    const [message] = await receive(sqs, queue.url)(1);
    expect(JSON.parse(message?.body ?? '')).toEqual({ n: 1 });
    expect(message?.attributes).toEqual({
      user_id: 'alice',
      connection_id: 'conn-alice',
      timestamp: '1700000000001',
      source: 'route.publish',
    });
  });

  it('give each message on a FIFO queue its user as the group id, in order', async () => {
    const sqs = sqsClient();
    const queue = await createQueue(sqs, { fifo: true });

    await new SqsEventPublisher(sqs, { queueUrl: queue.url }).publish([
      clientMessage('alice', 1),
      clientMessage('bob', 2),
      clientMessage('alice', 3),
    ]);

    const messages = await receive(sqs, queue.url)(3);
    const alice = messages
      .filter((m) => m.messageGroupId === 'alice')
      .map((m) => JSON.parse(m.body).n);
    expect(alice).toEqual([1, 3]);
    expect(messages.find((m) => m.messageGroupId === 'bob')).toBeDefined();
  });

  it('give each message on a FIFO topic its user as the group id', async () => {
    const sqs = sqsClient();
    const { topicArn, queue } = await createTopicWithQueue(snsClient(), sqs, { fifo: true });

    await new SnsEventPublisher(snsClient(), { topicArn }).publish([clientMessage('carol', 7)]);

    const [message] = await receive(sqs, queue.url)(1);
    expect(message?.messageGroupId).toBe('carol');
  });

  it('re-send the entries a batch reports as failed, and report those that keep failing', async () => {
    const sent: string[][] = [];
    let calls = 0;
    const flaky = {
      send: async (command: { input: { Entries: { Id: string }[] } }) => {
        calls++;
        sent.push(command.input.Entries.map((e) => e.Id));
        // entry "1" fails once then succeeds; entry "2" always fails
        const failing = command.input.Entries.filter(
          (e) => e.Id === '2' || (e.Id === '1' && calls === 1),
        );
        return {
          Failed: failing.map((e) => ({ Id: e.Id, Code: 'InternalError', Message: 'try again' })),
        };
      },
    } as unknown as SQSClient;
    const publisher = new SqsEventPublisher(flaky, {
      queueUrl: 'https://sqs.example/000000000000/q',
    });

    const publishing = publisher.publish([
      clientMessage('a', 0),
      clientMessage('b', 1),
      clientMessage('c', 2),
    ]);

    await expect(publishing).rejects.toBeInstanceOf(PublishError);
    await expect(publishing).rejects.toMatchObject({
      code: 'publish_failed',
      failed: [{ id: '2' }],
    });
    expect(sent).toEqual([['0', '1', '2'], ['1', '2'], ['2']]);
  });

  it('send more than 10 events in batches of at most 10', async () => {
    const sizes: number[] = [];
    const counting = {
      send: async (command: { input: { Entries: unknown[] } }) => {
        sizes.push(command.input.Entries.length);
        return { Failed: [] };
      },
    } as unknown as SQSClient;

    await new SqsEventPublisher(counting, {
      queueUrl: 'https://sqs.example/000000000000/q',
    }).publish(Array.from({ length: 23 }, (_, i) => clientMessage('u', i)));

    expect(sizes).toEqual([10, 10, 3]);
  });
});

// The global setup starts fauxqs through startEmulators, which gives its
// message-body check SQS's rule (src/emulators/fauxqs-characters.ts).
describe('fauxqs, as startEmulators runs it, takes what SQS takes', () => {
  const clientSaying = (message: unknown): OutboundEvent => ({
    kind: 'client_message',
    route: 'publish',
    message,
    userId: 'alice',
    connectionId: 'conn-alice',
    timestamp: 1_700_000_000_000,
  });

  it('queues a message holding characters above U+FFFF (emoji), through SQS and through SNS', async () => {
    const sqs = sqsClient();
    const queue = await createQueue(sqs);
    const said = { text: 'party \u{1f389}, a bit \u{1f600} and \u{10ffff}' };
    await new SqsEventPublisher(sqs, { queueUrl: queue.url }).publish([clientSaying(said)]);
    const [direct] = await receive(sqs, queue.url)(1);
    expect(JSON.parse(direct?.body ?? '')).toEqual(said);

    const { topicArn, queue: subscribed } = await createTopicWithQueue(snsClient(), sqs);
    await new SnsEventPublisher(snsClient(), { topicArn }).publish([clientSaying(said)]);
    const [fannedOut] = await receive(sqs, subscribed.url)(1);
    expect(JSON.parse(fannedOut?.body ?? '')).toEqual(said);
  });

  it('still refuses what SQS refuses: U+FFFE, U+FFFF, controls and lone surrogates', async () => {
    const sqs = sqsClient();
    const queue = await createQueue(sqs);
    for (const refused of ['\ufffe', '\uffff', '\u0001', '\ud83c', 'x\udf89']) {
      await expect(
        sqs.send(
          new SendMessageCommand({ QueueUrl: queue.url, MessageBody: `{"a":"${refused}"}` }),
        ),
        `U+${(refused.at(-1)?.codePointAt(0) ?? 0).toString(16)}`,
      ).rejects.toMatchObject({ name: 'AWS.SimpleQueueService.InvalidMessageContents' });
    }
  });
});
