// A real embedded server process on DynamoDB Local, killed without a goodbye
// while its clients are connected: its users go OFFLINE within the idle
// timeout plus one sweep, one event each, published by a survivor sweeping
// the same tables.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbPresenceStore } from '@herald/adapters-aws/dynamodb';
import { createTables } from '@herald/adapters-aws/testing';
import { SystemClock } from '@herald/adapters-node';
import { type OutboundEvent, type PresenceEvent, PresenceTracker } from '@herald/domain';
import { waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type Client, connect, emulatorEnvironment, SECRET, token } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const IDLE_MS = 4000;
/** The server's own sweep interval for this idle timeout (herald-server.ts), used by the survivor too. */
const SWEEP_MS = IDLE_MS / 10;
/** What one sweep's DynamoDB calls may take on a shared test machine. */
const SWEEP_LATENCY_ALLOWANCE_MS = 1000;

const children: ChildProcess[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});

describe('a crashed embedded node (DynamoDB Local)', () => {
  it('takes its users OFFLINE within the idle timeout plus one sweep, with one event each', {
    timeout: 60_000,
  }, async () => {
    // prepare: a node with five connected users, each pinging
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm run build" first`);
    const dynamo = new DynamoDBClient({
      endpoint: inject('dynamoEndpoint'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    });
    const tables = await createTables(dynamo);
    const child = spawn(
      process.execPath,
      [
        CLI,
        '--port',
        '0',
        '--jwt-secret',
        SECRET,
        '--connections-table',
        tables.connections,
        '--presence-table',
        tables.presence,
        '--idle-timeout-ms',
        String(IDLE_MS),
      ],
      { env: { PATH: process.env.PATH, ...emulatorEnvironment() }, stdio: 'pipe' },
    );
    children.push(child);
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    const baseUrl = await waitFor(() => /listening on (http:\/\/\S+)/.exec(stdout)?.[1], {
      timeoutMs: 15_000,
      what: 'the node to start',
    });
    const wsUrl = baseUrl.replace('http://', 'ws://');
    const users = Array.from({ length: 5 }, (_, i) => `crash-user-${i}`);
    for (const user of users) {
      clients.push(await connect(`${wsUrl}/?authorization=${await token({ sub: user })}`));
    }
    const pinging = setInterval(() => {
      for (const client of clients) client.send({ action: 'ping' });
    }, IDLE_MS / 5);
    const clock = new SystemClock();
    const events: PresenceEvent[] = [];
    const survivor = new PresenceTracker(
      new DynamoDbPresenceStore(DynamoDBDocumentClient.from(dynamo), clock, {
        tableName: tables.presence,
      }),
      {
        publish: async (batch: readonly OutboundEvent[]) => {
          for (const e of batch) if (e.kind === 'presence') events.push(e);
        },
      },
      clock,
    );
    await waitFor(
      async () => ((await survivor.query(users)).every((p) => p.online) ? true : undefined),
      { timeoutMs: 20_000, what: 'every user to be ONLINE' },
    );

    // act: kill the node with its clients connected, and sweep as a surviving node would
    child.kill('SIGKILL');
    const killedAt = Date.now();
    clearInterval(pinging);
    const offline = () => events.filter((e) => e.status === 'OFFLINE');
    await waitFor(
      async () => {
        await survivor.sweep();
        return new Set(offline().map((e) => e.userId)).size === users.length ? true : undefined;
      },
      { timeoutMs: IDLE_MS + SWEEP_MS + 10_000, intervalMs: SWEEP_MS, what: 'OFFLINE for all' },
    );
    for (let i = 0; i < 3; i++) await survivor.sweep();

    // assess
    expect(events.map((e) => [e.userId, e.status]).sort()).toEqual(
      users.map((u) => [u, 'OFFLINE']),
    );
    for (const event of offline()) {
      expect(event.timestamp - killedAt).toBeLessThanOrEqual(
        IDLE_MS + SWEEP_MS + SWEEP_LATENCY_ALLOWANCE_MS,
      );
    }
    expect((await survivor.query(users)).filter((p) => p.online)).toEqual([]);
  });
});
