import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTables } from '@herald/adapters-aws/testing';
import { TEST_SECRET } from '@herald/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaHandlers } from '../src/lambda-handlers.js';
import { emulatorEnvironment } from './support/emulator-environment.js';

/** A management API that only records what is posted to it. */
const recordingManagementApi = async () => {
  const posts: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    request.resume();
    request.on('end', () => {
      posts.push(`${request.method} ${request.url}`);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/stub`, posts, close: () => server.close() };
};

describe('lambdaHandlers', () => {
  const saved = { ...process.env };
  let tables: { connections: string; presence: string };

  beforeAll(async () => {
    Object.assign(process.env, emulatorEnvironment());
    tables = await createTables(new DynamoDBClient({}));
  });
  afterAll(() => {
    process.env = saved;
  });

  it('posts replies to the management endpoint the environment gives, over the emulation its own', async () => {
    const stub = await recordingManagementApi();
    const handlers = lambdaHandlers(
      {
        HERALD_JWT_SECRET: TEST_SECRET,
        HERALD_CONNECTIONS_TABLE: tables.connections,
        HERALD_PRESENCE_TABLE: tables.presence,
        HERALD_NOTIFICATIONS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/unused',
        HERALD_MANAGEMENT_ENDPOINT: stub.url,
      },
      'http://127.0.0.1:9/the-emulations-own',
    );

    await handlers.actions({
      requestContext: {
        connectionId: 'never-connected',
        routeKey: 'ping',
        eventType: 'MESSAGE',
        domainName: '127.0.0.1',
        stage: 'local',
        requestTimeEpoch: 1_700_000_000_000,
      },
      body: '{"action":"ping"}',
    } as Parameters<typeof handlers.actions>[0]);
    stub.close();

    expect(stub.posts).toEqual(['POST /stub/@connections/never-connected']);
  });
});
