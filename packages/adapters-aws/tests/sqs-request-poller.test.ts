import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { waitFor } from '@herald/domain/testing';
import { describe, expect, it } from 'vitest';
import { unwrapSns } from '../src/sns/index.js';
import { SqsRequestPoller } from '../src/sqs/index.js';
import { createQueue, receive, sqsClient } from './support/aws.js';

describe('SqsRequestPoller (fauxqs)', () => {
  it('hands each parsed request to the handler, deletes what it handled, and sets a malformed one aside for the DLQ with its reason', async () => {
    const sqs = sqsClient();
    const dlq = await createQueue(sqs);
    const { url: queueUrl } = await createQueue(sqs, {
      attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
      },
    });
    const handled: string[] = [];
    const parsed: unknown[] = [];
    const rejected: [unknown, number][] = [];
    const setAside: unknown[] = [];
    const poller = new SqsRequestPoller(sqs, {
      queueUrl,
      waitTimeSeconds: 1,
      onRejected: (_id, count, error) => rejected.push([error, count]),
      onSetAside: (_id, error) => setAside.push(error),
    });
    poller.start(async (body, { request }) => {
      handled.push(body);
      parsed.push(request.data);
    });

    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"data":"good"}' }));
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"users":"bad","data":1}' }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({
          Type: 'Notification',
          TopicArn: 'arn:aws:sns:us-east-1:0:t',
          Message: '{"data":"via sns"}',
        }),
      }),
    );

    const [dead] = await receive(sqs, dlq.url)(1);
    await poller.stop();

    expect(handled.sort()).toEqual(['{"data":"good"}', '{"data":"via sns"}']);
    expect(parsed.sort()).toEqual(['good', 'via sns']);
    // Refused once, set aside at once: the dead letter is what fails, and reaches the DLQ.
    expect(setAside).toEqual([expect.objectContaining({ code: 'bad_request', field: 'users' })]);
    expect(JSON.parse(dead?.body ?? '')).toEqual({
      herald_dead_letter: {
        code: 'bad_request',
        field: 'users',
        message: expect.stringMatching(/^users: /),
      },
      body: '{"users":"bad","data":1}',
    });
    expect(rejected.map(([, count]) => count)).toEqual([1, 2]);
    expect(rejected[0]?.[0]).toMatchObject({ code: 'request_refused' });
  });

  it('keeps a message out of sight while it is handled past its visibility timeout, so a second consumer does not take it too', async () => {
    const sqs = sqsClient();
    const { url: queueUrl } = await createQueue(sqs, { attributes: { VisibilityTimeout: '2' } });
    const handled: string[] = [];
    const extendErrors: unknown[] = [];
    // Two consumers of one queue, as two nodes are; a store that takes 2.5
    // visibility timeouts (5 s) for one of the two messages.
    const pollers = [0, 1].map(
      () =>
        new SqsRequestPoller(sqs, {
          queueUrl,
          waitTimeSeconds: 1,
          batchSize: 2,
          onExtendError: (error) => extendErrors.push(error),
        }),
    );
    for (const poller of pollers) {
      poller.start(async (body) => {
        handled.push(body);
        if (body.includes('slow')) await new Promise((resolve) => setTimeout(resolve, 5000));
      });
    }

    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"data":"slow"}' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"data":"quick"}' }));
    await waitFor(() => (handled.length >= 2 ? true : undefined), { timeoutMs: 10_000 });
    // Long enough for a message left visible to be taken by the other consumer, twice over.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await Promise.all(pollers.map((poller) => poller.stop()));

    expect(handled.sort()).toEqual(['{"data":"quick"}', '{"data":"slow"}']);
    expect(extendErrors).toEqual([]);
    const { Attributes: left = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(left).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  }, 30_000);

  it('leaves a message whose handler fails on the queue', async () => {
    const sqs = sqsClient();
    const { url: queueUrl } = await createQueue(sqs, { attributes: { VisibilityTimeout: '1' } });
    const rejected: unknown[] = [];
    const poller = new SqsRequestPoller(sqs, {
      queueUrl,
      waitTimeSeconds: 1,
      onRejected: (_id, _count, error) => rejected.push(error),
    });
    poller.start(async () => {
      throw new Error('output down');
    });

    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"data":1}' }));
    await waitFor(() => (rejected.length > 0 ? true : undefined), { timeoutMs: 10_000 });
    await poller.stop();

    expect(rejected[0]).toMatchObject({ message: 'output down' });
  });

  it('puts continuations back onto its own queue, and hands them over as continuations', async () => {
    const sqs = sqsClient();
    const { url: queueUrl } = await createQueue(sqs);
    const seen: { kind: string; deadline: number; at: number }[] = [];
    const poller = new SqsRequestPoller(sqs, {
      queueUrl,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 30,
      deadlineMarginMs: 5000,
    });
    poller.start(async (_body, { message, deadline, queue }) => {
      seen.push({ kind: message.kind, deadline, at: Date.now() });
      if (message.kind === 'request') {
        await queue.carry([
          {
            request: message.input,
            continuation: { attempt: 1, connections: ['c1'] },
            delaySeconds: 0,
          },
        ]);
      }
    });

    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"users":["u"],"data":1}' }),
    );
    await waitFor(() => (seen.length >= 2 ? true : undefined), { timeoutMs: 10_000 });
    await poller.stop();

    expect(seen.map((s) => s.kind)).toEqual(['request', 'continuation']);
    for (const { deadline, at } of seen) {
      expect(deadline - at).toBeGreaterThan(20_000);
      expect(deadline - at).toBeLessThanOrEqual(25_000);
    }
  });

  it('stops promptly, without waiting out its long poll', async () => {
    const sqs = sqsClient();
    const idle = await createQueue(sqs);
    const poller = new SqsRequestPoller(sqs, { queueUrl: idle.url, waitTimeSeconds: 20 });
    poller.start(async () => {});

    const stopped = await Promise.race([
      poller.stop().then(() => 'stopped'),
      waitFor(() => undefined, { timeoutMs: 5000 }).catch(() => 'still polling'),
    ]);

    expect(stopped).toBe('stopped');
  });

  it('leaves plain bodies alone and unwraps SNS envelopes', () => {
    expect(unwrapSns('{"data":1}')).toBe('{"data":1}');
    expect(unwrapSns('{"Type":"Notification","TopicArn":"arn","Message":"{\\"data\\":2}"}')).toBe(
      '{"data":2}',
    );
    expect(unwrapSns('{"TopicArn": broken')).toBe('{"TopicArn": broken');
  });
});
