import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createQueue, createTables } from '@herald/adapters-aws/testing';
import { waitFor } from '@herald/domain/testing';
import { connect, launch as launchProcess } from '@herald/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorEnvironment } from './support/emulator-environment.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);

const requireBuild = () => {
  if (!existsSync(CLI))
    throw new Error(
      `${CLI} is missing: run "pnpm run build" first (the README's test command does)`,
    );
};

const launch = (args: string[], env: NodeJS.ProcessEnv = {}) => launchProcess(CLI, args, env);

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('herald-local-aws CLI', () => {
  it('runs the Lambda handlers behind a local API Gateway, with flags reaching them as variables do, and its printed token connects', {
    timeout: 30_000,
  }, async () => {
    requireBuild();
    const aws = emulatorEnvironment();
    const credentials = {
      accessKeyId: aws.AWS_ACCESS_KEY_ID,
      secretAccessKey: aws.AWS_SECRET_ACCESS_KEY,
    };
    const dynamo = new DynamoDBClient({
      region: aws.AWS_REGION,
      endpoint: aws.AWS_ENDPOINT_URL_DYNAMODB,
      credentials,
    });
    const sqs = new SQSClient({
      region: aws.AWS_REGION,
      endpoint: aws.AWS_ENDPOINT_URL_SQS,
      useQueueUrlAsEndpoint: false,
      credentials,
    });
    const tables = await createTables(dynamo);
    const notifications = await createQueue(sqs);
    // The tables as flags, the queue as its variable: both must reach the handlers.
    const local = launch(
      [
        '--port',
        '0',
        '--connections-table',
        tables.connections,
        '--presence-table',
        tables.presence,
      ],
      { ...aws, HERALD_NOTIFICATIONS_QUEUE_URL: notifications.url },
    );
    children.push(local.child);
    const banner = await waitFor(
      () => (local.output.stdout.includes('wscat -c') ? local.output.stdout : undefined),
      {
        timeoutMs: 15_000,
        what: 'the start banner',
      },
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\nstdout: ${local.output.stdout}\nstderr: ${local.output.stderr}`,
      );
    });
    const wsUrl = /wscat -c "([^"]+)"/.exec(banner)?.[1] as string;

    const client = await connect(wsUrl);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: notifications.url,
        MessageBody: '{"users":["dev-user"],"data":{"from":"lambda"}}',
      }),
    );

    const received = await client.next(1).catch((error: Error) => {
      throw new Error(`${error.message}\nit said: ${local.output.stdout}${local.output.stderr}`);
    });
    expect(received).toEqual(['{"from":"lambda"}']);
    local.child.kill('SIGTERM');
    expect(await local.exited).toBe(0);
  });

  it('exits 2 naming the tables when they are not set', async () => {
    requireBuild();
    const local = launch([]);

    expect(await local.exited).toBe(2);
    expect(local.output.stderr).toContain('HERALD_CONNECTIONS_TABLE');
  });

  it('exits 2 naming the variable of a bad Lambda setting', async () => {
    requireBuild();
    const local = launch([], { HERALD_OUTPUT_QUEUE_URL: 'not a url' });

    expect(await local.exited).toBe(2);
    expect(local.output.stderr).toContain('HERALD_OUTPUT_QUEUE_URL');
  });

  it('exits 2 naming the flag and variable of a bad setting', async () => {
    requireBuild();
    const local = launch([], { HERALD_PORT: '99999' });

    expect(await local.exited).toBe(2);
    expect(local.output.stderr).toContain('--port / HERALD_PORT');
  });

  it('prints --help listing its flags and the Lambda variables it needs', async () => {
    requireBuild();

    const { stdout } = await run(process.execPath, [CLI, '--help']);

    expect(stdout).toContain('Usage: herald-local-aws');
    for (const name of [
      '--host',
      '--port',
      '--stage',
      '--log-level',
      'HERALD_CONNECTIONS_TABLE',
      'HERALD_PRESENCE_TABLE',
      'HERALD_NOTIFICATIONS_QUEUE_URL',
    ])
      expect(stdout).toContain(name);
  });
});
