// The notifications bundle, as deployed (dist-bundles/notifications), run in
// its own Node process on DynamoDB Local: it takes an SQS record for a user,
// finds the user's connection in the table and posts to a loopback stand-in
// for API Gateway's management API. This is the code a Lambda runs, chunks
// loaded on demand included (the post path's connection pool is one), which
// the tests on the handlers' source do not reach.
import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbConnectionStore } from '@herald/adapters-aws/dynamodb';
import { createTables, type Emulators, startEmulators } from '@herald/adapters-aws/testing';
import { SystemClock } from '@herald/adapters-node';
import { ConnectionRegistry } from '@herald/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BUNDLE = fileURLToPath(new URL('../dist-bundles/notifications/index.mjs', import.meta.url));
const CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

interface Post {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe('the notifications bundle, run as Lambda runs it', () => {
  let emulators: Emulators;
  let api: Server;
  const posts: Post[] = [];
  beforeAll(async () => {
    emulators = await startEmulators();
    api = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        posts.push({
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        });
        response.end();
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  }, 60_000);
  afterAll(async () => {
    await new Promise<void>((resolve) => (api ? api.close(() => resolve()) : resolve()));
    await emulators?.stop();
  });

  it('delivers an SQS record to the connection the table holds, through the bundled post path', {
    timeout: 30_000,
  }, async () => {
    // prepare: the tables, and one connection of user u-bundle
    const direct = new DynamoDBClient({
      endpoint: emulators.dynamoEndpoint,
      region: 'us-east-1',
      credentials: CREDENTIALS,
    });
    const tables = await createTables(direct);
    const clock = new SystemClock();
    await new ConnectionRegistry(
      new DynamoDbConnectionStore(DynamoDBDocumentClient.from(direct), clock, {
        tableName: tables.connections,
      }),
      clock,
      { idleTimeoutMs: 600_000, maxConnectionAgeMs: 7_200_000 },
    ).connect('c-bundle', { userId: 'u-bundle', channels: [], claims: {} });
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const event = {
      Records: [
        {
          messageId: 'm1',
          body: JSON.stringify({ users: ['u-bundle'], data: { to: 'u-bundle' } }),
          attributes: { ApproximateReceiveCount: '1' },
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:notifications',
        },
      ],
    };
    const probe = `const { handler } = await import(${JSON.stringify(BUNDLE)});
      const context = { functionName: 'notifications', awsRequestId: 'r1', getRemainingTimeInMillis: () => 20000 };
      const result = await handler(${JSON.stringify(event)}, context);
      console.log(JSON.stringify({ result }));`;

    // act: a fresh process with a deployed function's environment
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
        HERALD_CONNECTIONS_TABLE: tables.connections,
        HERALD_PRESENCE_TABLE: tables.presence,
        HERALD_MANAGEMENT_ENDPOINT: `${apiUrl}/prod`,
        HERALD_NOTIFICATIONS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/notifications',
      },
    });

    // assess: the record succeeded, and its one post reached the management API, signed
    const { result } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(result).toEqual({ batchItemFailures: [] });
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      method: 'POST',
      path: '/prod/@connections/c-bundle',
      body: '{"to":"u-bundle"}',
    });
    expect(posts[0]?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-east-1\/execute-api\/aws4_request, /,
    );
  });
});
