import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { javaAvailable } from '@herald/adapters-aws/emulators';
import { waitFor } from '@herald/domain/testing';
import { connect, launch, refusal } from '@herald/server/testing';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const JAVA = javaAvailable();
if (!JAVA)
  process.stderr.write(
    'herald-local-aws dev test skipped: DynamoDB Local needs Java 17 or newer on PATH, and "java -version" failed\n',
  );

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The request a printed `curl -sS -X POST URL -H … -d '…'` line makes, for fetch. */
const curlRequest = (line: string) => {
  const url = /curl -sS (?:-X (\w+) )?"?(http[^"\s]+)"?/.exec(line);
  const headers = Object.fromEntries(
    [...line.matchAll(/-H "([^:]+): ([^"]+)"/g)].map((m) => [m[1] as string, m[2] as string]),
  );
  const body = /-d '([^']*)'/.exec(line)?.[1];
  return {
    url: url?.[2] as string,
    init: { method: url?.[1] ?? 'GET', headers, ...(body === undefined ? {} : { body }) },
  };
};

/** Starts `herald-local-aws dev` on a free port and waits for its banner. */
const startDev = async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm run build" first`);
  const dev = launch(CLI, ['dev', '--port', '0']);
  children.push(dev.child);
  const banner = await waitFor(
    () => (dev.output.stdout.includes('Ctrl-C stops') ? dev.output.stdout : undefined),
    { timeoutMs: 45_000, what: 'the dev banner' },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nstdout: ${dev.output.stdout}\nstderr: ${dev.output.stderr}`);
  });
  return { dev, banner };
};

describe('herald-local-aws dev', () => {
  it.skipIf(!JAVA)(
    'starts the emulators and the stack, delivers what its curl line sends to its wscat line, shows presence, and leaves nothing running after SIGINT',
    { timeout: 60_000 },
    async () => {
      const { dev, banner } = await startDev();
      const wsUrl = /wscat -c "([^"]+)"/.exec(banner)?.[1] as string;
      const notify = curlRequest(
        /curl -sS -X POST [^\n]*\\\n[^\n]*/.exec(banner)?.[0].replace('\\\n', ' ') ?? '',
      );
      const presence = curlRequest(/curl -sS "[^\n]*\/presence[^\n]*/.exec(banner)?.[0] ?? '');
      const metrics = curlRequest(/curl -sS \S+\/metrics[^\n]*/.exec(banner)?.[0] ?? '');
      const dynamoPid = Number(/DynamoDB Local [\d.]+ at \S+ \(pid (\d+)\)/.exec(banner)?.[1]);
      const fauxqs = /fauxqs at (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1] as string;
      expect(isRunning(dynamoPid)).toBe(true);

      const token = new URL(wsUrl).searchParams.get('authorization') as string;
      const headerOnly = await refusal(wsUrl.split('?')[0] as string, {
        headers: { authorization: `Bearer ${token}` },
      });
      const badToken = await refusal(`${wsUrl.split('?')[0]}?authorization=not-a-token`);
      const client = await connect(wsUrl);
      const online = await waitFor(
        async () => {
          const answer = await fetch(presence.url, presence.init);
          const { users } = (await answer.json()) as { users: { online: boolean }[] };
          return users[0]?.online ? users : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 100, what: 'dev-user online in GET /presence' },
      );
      const queued = await fetch(notify.url, notify.init);
      const received = await client.next(1);
      const unauthorised = await fetch(notify.url, {
        method: 'POST',
        body: notify.init.body ?? '',
      });
      const counted = await waitFor(
        async () => {
          const text = await (await fetch(metrics.url, metrics.init)).text();
          return text.includes('herald_deliveries_total{outcome="delivered"} 1') ? text : undefined;
        },
        { timeoutMs: 5000, intervalMs: 50, what: 'the delivery in GET /metrics' },
      );
      // A hostile client: a message over API Gateway's 32 KB once ended the whole process.
      const oversized = await connect(wsUrl);
      oversized.send({ action: 'send', message: 'x'.repeat(33 * 1024) });
      const oversizedClosed = await oversized.closed;
      client.send({ action: 'ping' });
      const pong = await client.json();
      // An emoji (which fauxqs's own check refused, though SQS takes it) and a
      // raw U+FFFF (which SQS refuses unless it is escaped), as a backend sends them.
      const unusual = 'party \u{1f389}, and \uffff raw';
      const unusualQueued = await fetch(notify.url, {
        ...notify.init,
        body: `{"users":["dev-user"],"data":{"message":"${unusual}"}}`,
      });
      const unusualReceived = await client.json();
      await client.close();

      expect(oversizedClosed.code).toBe(1009);
      expect(pong).toMatchObject({ type: 'pong' });
      expect(unusualQueued.status).toBe(202);
      expect(unusualReceived).toEqual({ message: unusual });
      expect(headerOnly).toBe(401);
      expect(badToken).toBe(403);
      expect(online).toMatchObject([{ userId: 'dev-user', online: true, connections: 1 }]);
      expect(queued.status).toBe(202);
      expect(received).toEqual(['{"message":"hello from Herald"}']);
      expect(unauthorised.status).toBe(401);
      expect(counted).toContain('herald_notifications_total{outcome="delivered"} 1');
      expect(counted).toContain('herald_connections 1');
      expect(counted).toContain('herald_upgrades_refused_total{reason="token_malformed"} 1');

      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(0);
      expect(isRunning(dynamoPid)).toBe(false);
      await expect(fetch(fauxqs)).rejects.toThrow();
    },
  );

  it.skipIf(!JAVA)(
    'leaves no DynamoDB Local behind when it is killed outright (SIGKILL: no chance to clean up)',
    { timeout: 60_000 },
    async () => {
      const { dev, banner } = await startDev();
      const dynamoPid = Number(/\(pid (\d+)\)/.exec(banner)?.[1]);
      expect(isRunning(dynamoPid)).toBe(true);

      dev.child.kill('SIGKILL');
      await dev.exited;
      const gone = await waitFor(() => (isRunning(dynamoPid) ? undefined : true), {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: `DynamoDB Local (pid ${dynamoPid}) to stop after its parent was killed`,
      });

      expect(gone).toBe(true);
    },
  );

  it('prints --help describing the stack, its routes and its options', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm run build" first`);
    const help = launch(CLI, ['dev', '--help']);

    expect(await help.exited).toBe(0);
    for (const text of [
      'herald-local-aws dev',
      'POST /notifications',
      'GET  /presence',
      '?authorization=',
      '--port',
    ])
      expect(help.output.stdout).toContain(text);
  });
});
