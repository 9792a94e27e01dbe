import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createQueue } from '@herald/adapters-aws/testing';
import { SystemClock } from '@herald/adapters-node';
import {
  type ContinuationMessage,
  encodeContinuationMessage,
  parseInboundNotification,
} from '@herald/domain';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { awsAdapters } from '../src/aws-wiring.js';
import { connect, emulatorEnvironment, queueCollector, startServer, token } from './helpers.js';

describe('Embedded server, continuations on its input queue (fauxqs)', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    Object.assign(process.env, emulatorEnvironment());
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('posts a continuation to exactly its connections, and sends a dead-letter one to the DLQ with its reasons', {
    timeout: 30_000,
  }, async () => {
    // prepare: one user on two devices; an input queue whose DLQ takes a message after one receive
    const sqs = new SQSClient({ endpoint: inject('fauxqsEndpoint') });
    const dlq = await createQueue(sqs);
    const input = await createQueue(sqs, {
      attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
      },
    });
    const aws = awsAdapters({ inputQueueUrl: input.url }, new SystemClock());
    const started = await startServer();
    aws.inputPoller?.start(async (_body, polled) => {
      await started.server.consume(polled);
    });
    const url = `${started.wsUrl}/?authorization=${await token({ sub: 'dana' })}`;
    const phone = await connect(url);
    const laptop = await connect(url);
    phone.send({ action: 'ping' });
    const { connectionId: phoneId } = JSON.parse((await phone.next(1))[0] as string) as {
      connectionId: string;
    };
    const dead = queueCollector(sqs, dlq.url);

    try {
      // act: the rest of a request to dana, carried for her phone only; then one past the bound
      const request = { users: ['dana'], data: { n: 1 }, id: 'req-9' };
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: input.url,
          MessageBody: encodeContinuationMessage({
            request,
            continuation: { attempt: 1, connections: [phoneId] },
            delaySeconds: 0,
          }),
        }),
      );
      const delivered = await phone.next(1);
      const exhausted = encodeContinuationMessage({
        request,
        continuation: {
          attempt: 9,
          connections: [phoneId],
          exhausted: [{ connectionId: phoneId, reason: 'throttled' }],
        },
        delaySeconds: 0,
      });
      await sqs.send(new SendMessageCommand({ QueueUrl: input.url, MessageBody: exhausted }));
      const [deadLetter] = await dead.until((seen) => (seen.length > 0 ? seen : undefined), 'DLQ');
      await laptop.roundTrip();
      await phone.roundTrip();

      // assess
      expect(delivered).toEqual(['{"n":1}']);
      expect(laptop.received.filter((m) => !m.includes('"pong"'))).toEqual([]);
      expect(JSON.parse(deadLetter?.body ?? '')).toMatchObject({
        herald_continuation: { exhausted: [{ connectionId: phoneId, reason: 'throttled' }] },
      });
      expect(phone.received.filter((m) => !m.includes('"pong"'))).toEqual(['{"n":1}']);
    } finally {
      await aws.inputPoller?.stop();
      await phone.close();
      await laptop.close();
      await started.server.stop();
    }
  });

  it('carries what its deadline left back to the queue, and logs it at WARN with the connection ids', async () => {
    // prepare
    const logger = new Logger({ serviceName: 'herald-test', logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const started = await startServer({ logger });
    const client = await connect(`${started.wsUrl}/?authorization=${await token({ sub: 'erin' })}`);
    client.send({ action: 'ping' });
    const { connectionId } = JSON.parse((await client.next(1))[0] as string) as {
      connectionId: string;
    };
    const carried: ContinuationMessage[] = [];
    const queue = {
      enqueue: async () => {},
      carry: async (list: readonly ContinuationMessage[]) => {
        carried.push(...list);
      },
      deadLetter: async () => {
        throw new Error('this test refuses no message');
      },
    };
    const parsed = parseInboundNotification('{"users":["erin"],"data":{"n":2},"id":"req-3"}');
    if (!parsed.ok || parsed.value.kind === 'batch') throw new Error('bad request');

    try {
      // act: a deadline already past, so nothing may be posted
      await started.server.consume({ message: parsed.value, deadline: Date.now() - 1, queue });

      // assess
      expect(carried).toEqual([
        expect.objectContaining({
          requestId: 'req-3',
          continuation: { attempt: 0, connections: [connectionId] },
          delaySeconds: 0,
        }),
      ]);
      expect(warn).toHaveBeenCalledWith(
        'notification not delivered to every target',
        expect.objectContaining({ undelivered: [{ connectionId, reason: 'deadline' }] }),
      );
    } finally {
      await client.close();
      await started.server.stop();
    }
  });
});
