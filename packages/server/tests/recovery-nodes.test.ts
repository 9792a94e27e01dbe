// Recovery across real server processes: a restarted memory server starts a
// new epoch; two nodes on shared DynamoDB tables (DynamoDB Local) keep one
// history, so a client resumes on the node it did not miss anything on, and
// a request id is delivered once whichever node, or input, receives it.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createHistoryTable, createQueue, createTables } from '@herald/adapters-aws/testing';
import { waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type Client, nextEnvelopes, positionsOf, resume } from '../src/testing/index.js';
import { connect, emulatorEnvironment, token } from './helpers.js';
import {
  type HeraldProcess,
  killHeraldProcesses,
  startHeraldProcess,
} from './support/herald-process.js';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  killHeraldProcesses();
});

const notify = async (node: HeraldProcess, request: unknown) => {
  const response = await fetch(`${node.url}/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${node.backendKey}` },
    body: JSON.stringify(request),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

const v1 = async (node: HeraldProcess, sub: string) => {
  const client = await connect(`${node.wsUrl}?authorization=${await token({ sub })}`, {
    protocols: ['herald.v1'],
  });
  clients.push(client);
  return client;
};

describe('Recovery across server processes', () => {
  it('gives a restarted memory server a new epoch, so a resume across it is not recovered', {
    timeout: 30_000,
  }, async () => {
    const before = await startHeraldProcess();
    const client = await v1(before, 'restart-user');
    await notify(before, { users: ['restart-user'], data: { n: 1 } });
    const positions = positionsOf(await nextEnvelopes(client));
    before.child.kill('SIGTERM');
    await before.exited;

    const after = await startHeraldProcess();
    await notify(after, { users: ['restart-user'], data: { n: 2 } });
    const { replayed, answer } = await resume(await v1(after, 'restart-user'), positions);

    const old = positions['user:restart-user']?.epoch;
    expect(replayed).toMatchObject([{ offset: 1, data: { n: 2 } }]);
    expect(replayed[0]?.epoch).not.toBe(old);
    expect(answer).toEqual({
      type: 'resumed',
      streams: {
        'user:restart-user': { recovered: false, epoch: replayed[0]?.epoch, offset: 1 },
      },
    });
  });

  it('resumes on node B what was sent through node A, and delivers one id once across nodes and inputs', {
    timeout: 45_000,
  }, async () => {
    const env = emulatorEnvironment();
    const local = {
      region: env.AWS_REGION as string,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
      },
    };
    const dynamo = new DynamoDBClient({ ...local, endpoint: inject('dynamoEndpoint') });
    const sqs = new SQSClient({
      ...local,
      endpoint: inject('fauxqsEndpoint'),
      useQueueUrlAsEndpoint: false,
    });
    const tables = await createTables(dynamo);
    const history = await createHistoryTable(dynamo);
    const input = await createQueue(sqs);
    const shared = {
      ...env,
      HERALD_CONNECTIONS_TABLE: tables.connections,
      HERALD_PRESENCE_TABLE: tables.presence,
      HERALD_HISTORY_TABLE: history,
      HERALD_LOG_LEVEL: 'INFO',
    };
    const [a, b] = await Promise.all([
      startHeraldProcess({ env: shared }),
      startHeraldProcess({ env: { ...shared, HERALD_INPUT_QUEUE_URL: input.url } }),
    ]);
    const onA = await v1(a as HeraldProcess, 'node-user');
    await notify(a as HeraldProcess, { users: ['node-user'], data: { n: 1 } });
    const positions = positionsOf(await nextEnvelopes(onA));
    await onA.close();

    await notify(a as HeraldProcess, { users: ['node-user'], data: { n: 2 } });
    await notify(a as HeraldProcess, { users: ['node-user'], id: 'twice', data: { n: 3 } });
    const onB = await v1(b as HeraldProcess, 'node-user');
    const { replayed, answer } = await resume(onB, positions);
    const repeatOnB = await notify(b as HeraldProcess, {
      users: ['node-user'],
      id: 'twice',
      data: { n: 3 },
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: input.url,
        MessageBody: JSON.stringify({ users: ['node-user'], id: 'twice', data: { n: 3 } }),
      }),
    );
    await waitFor(
      () => ((b as HeraldProcess).output.stdout.includes('"duplicate":true') ? true : undefined),
      { timeoutMs: 15_000, what: 'node B to take the queued repeat as a duplicate' },
    );
    await notify(b as HeraldProcess, { users: ['node-user'], data: { n: 4 } });

    expect(replayed).toMatchObject([
      { stream: 'user:node-user', offset: 2, data: { n: 2 } },
      { stream: 'user:node-user', offset: 3, id: 'twice', data: { n: 3 } },
    ]);
    expect(answer).toEqual({
      type: 'resumed',
      streams: {
        'user:node-user': {
          recovered: true,
          epoch: positions['user:node-user']?.epoch,
          offset: 3,
        },
      },
    });
    expect(repeatOnB).toMatchObject({ id: 'twice', duplicate: true, delivered: 0 });
    expect(await nextEnvelopes(onB)).toMatchObject([{ offset: 4, data: { n: 4 } }]);
  });
});
