import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createQueue, createTables, createTopicWithQueue } from '@herald/adapters-aws/testing';
import { SystemClock } from '@herald/adapters-node';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { awsAdapters } from '../src/aws-wiring.js';
import { connect, emulatorEnvironment, queueCollector, startServer, token } from './helpers.js';

/** Reads and deletes messages from a queue until `count` have arrived. */
const drain = (sqs: SQSClient, queueUrl: string) => {
  const queue = queueCollector(sqs, queueUrl);
  return (count: number) =>
    queue.until((seen) => (seen.length >= count ? [...seen] : undefined), `${count} message(s)`);
};

describe('Embedded server on the AWS adapters (DynamoDB Local, fauxqs)', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    // The standard SDK variables, exactly as a deployment would set them.
    Object.assign(process.env, emulatorEnvironment());
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('keeps state in DynamoDB, forwards through SNS and SQS, and delivers requests polled from SQS', {
    timeout: 30_000,
  }, async () => {
    const dynamo = new DynamoDBClient({ endpoint: inject('dynamoEndpoint') });
    const sqs = new SQSClient({ endpoint: inject('fauxqsEndpoint') });
    const sns = new SNSClient({ endpoint: inject('fauxqsEndpoint') });
    const tables = await createTables(dynamo);
    const input = await createQueue(sqs);
    const output = await createQueue(sqs);
    const outputTopic = await createTopicWithQueue(sns, sqs);
    const topicQueue = outputTopic.queue;
    const aws = awsAdapters(
      {
        connectionsTable: tables.connections,
        presenceTable: tables.presence,
        outputTopicArn: outputTopic.topicArn,
        outputQueueUrl: output.url,
        inputQueueUrl: input.url,
      },
      new SystemClock(),
    );
    const started = await startServer({
      ...(aws.connectionStore ? { connectionStore: aws.connectionStore } : {}),
      ...(aws.presenceStore ? { presenceStore: aws.presenceStore } : {}),
      outputs: aws.output ? [aws.output] : [],
    });
    aws.inputPoller?.start(async (body) => {
      await started.server.notify(JSON.parse(body));
    });
    const fromTopic = drain(sqs, topicQueue.url);
    const fromQueue = drain(sqs, output.url);

    try {
      const client = await connect(
        `${started.wsUrl}/?authorization=${await token({ sub: 'aws-user' })}`,
      );
      const online = await fromTopic(1);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: input.url,
          MessageBody: '{"users":["aws-user"],"data":{"n":1}}',
        }),
      );
      const delivered = await client.next(1);
      client.send({ action: 'send', message: { to: 'queue' } });
      client.send({ action: 'publish', message: { to: 'topic' } });
      const sent = await fromQueue(1);
      await client.close();
      const topicMessages = await fromTopic(3);

      expect(JSON.parse(online[0]?.body ?? '')).toMatchObject({
        type: 'presence',
        message: { user_id: 'aws-user', status: 'ONLINE' },
      });
      expect(delivered).toEqual(['{"n":1}']);
      expect(JSON.parse(sent[0]?.body ?? '')).toEqual({ to: 'queue' });
      expect(sent[0]?.attributes).toMatchObject({ user_id: 'aws-user', source: 'route.send' });
      expect(topicMessages.map((m) => JSON.parse(m.body))).toEqual([
        expect.objectContaining({ message: expect.objectContaining({ status: 'ONLINE' }) }),
        { to: 'topic' },
        expect.objectContaining({ message: expect.objectContaining({ status: 'OFFLINE' }) }),
      ]);
      expect(topicMessages[1]?.attributes).toMatchObject({ source: 'route.publish' });
    } finally {
      await aws.inputPoller?.stop();
      await started.server.stop();
    }
  });

  it('refuses one table without the other, naming both variables', () => {
    expect(() => awsAdapters({ connectionsTable: 'only-this-one' }, new SystemClock())).toThrow(
      /HERALD_CONNECTIONS_TABLE \/ HERALD_PRESENCE_TABLE/,
    );
  });
});
