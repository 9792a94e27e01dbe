import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, signTestToken } from '../src/testing/index.js';
import { killHeraldProcesses, startHeraldProcess } from './support/herald-process.js';
import { clientTextFrame, nonReadingWebSocket } from './support/raw-websocket.js';

/** A loopback webhook endpoint that accepts everything and counts the events it got. */
const webhookEndpoint = async () => {
  let events = 0;
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    events += (JSON.parse(body) as { events: unknown[] }).events.length;
    response.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events: () => events,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  killHeraldProcesses();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe('a Herald process under hostile input', () => {
  it('survives send and publish frames of thousands of nested arrays with a webhook output, answering each bad_request', async () => {
    const hook = await webhookEndpoint();
    cleanups.push(hook.close);
    const herald = await startHeraldProcess({ args: ['--webhook-url', hook.url] });
    // Depths around where JSON.stringify overflows V8's default stack, so that
    // some serialise alone but not inside an output's batch; spread over a few
    // connections to stay under each one's rate limit (bursts of 40).
    const depths = Array.from({ length: 160 }, (_, i) => 3000 + 25 * i);
    const clients = await Promise.all(
      [1, 2, 3, 4, 5].map(async (n) =>
        connect(`${herald.wsUrl}?authorization=${await signTestToken({ sub: `user-${n}` })}`),
      ),
    );
    cleanups.push(async () => {
      for (const c of clients) c.socket.terminate();
    });
    const whileAlive = (work: Promise<unknown> | undefined) =>
      Promise.race([
        work,
        herald.exited.then((code) => {
          throw new Error(`herald exited (${code}):\n${herald.output.stderr.slice(-1500)}`);
        }),
      ]);

    for (const [i, depth] of depths.entries()) {
      const action = i % 2 === 0 ? 'send' : 'publish';
      clients[i % clients.length]?.send(
        `{"action":"${action}","message":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      );
    }
    for (const c of clients) await whileAlive(c.roundTrip());
    const after = clients[0];
    after?.send({ action: 'send', message: { after: 'the nested ones' } });
    await whileAlive(after?.roundTrip());
    await waitFor(() => (hook.events() >= clients.length + 1 ? true : undefined), {
      what: 'the presence events and the message after',
      timeoutMs: 10_000,
    });

    const errors = clients.flatMap((c) =>
      c.received.map((m) => JSON.parse(m)).filter((m) => m.type === 'error'),
    );
    expect(new Set(errors.map((e) => (e as { field?: string }).field))).toEqual(
      new Set(['message']),
    );
    expect(errors.length).toBe(depths.length);
    expect(herald.alive()).toBe(true);
  }, 30_000);

  it.each([
    { limit: 'the default rate limit', args: [], closed: false },
    { limit: 'no effective rate limit', args: ['--rate-limit', '1000000'], closed: true },
  ])(
    'survives a client that floods frames and never reads, with $limit, under a 64 MB heap, and serves others',
    async ({ args, closed }) => {
      const herald = await startHeraldProcess({ args, nodeArgs: ['--max-old-space-size=64'] });
      const flood = await nonReadingWebSocket(
        herald.port,
        `/local?authorization=${await signTestToken({ sub: 'flooder' })}`,
      );
      cleanups.push(async () => void flood.destroy());
      const frames = Buffer.concat(
        Array.from({ length: 1000 }, (_, i) =>
          clientTextFrame(i % 2 === 0 ? '{"action":"ping"}' : '{"action":"dance"}'),
        ),
      );
      const connections = async () =>
        ((await (await fetch(`${herald.url}/healthz`)).json()) as { connections: number })
          .connections;
      const deadline = Date.now() + 15_000;
      let sent = 0;

      // Bounded in count (one million frames, 20 MB) and in time (15 s).
      while (sent < 1_000_000 && Date.now() < deadline && herald.alive()) {
        if (!flood.write(frames)) {
          const drained = await Promise.race([
            new Promise<boolean>((resolve) => flood.once('drain', () => resolve(true))),
            herald.exited.then(() => false),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500).unref()),
          ]);
          if (!drained && (await connections().catch(() => -1)) !== 1) break;
        }
        sent += 1000;
      }
      if (closed)
        await waitFor(async () => ((await connections()) === 0 ? true : undefined), {
          timeoutMs: 10_000,
          what: 'the flooding connection to be closed',
        });
      const other = await connect(`${herald.wsUrl}?authorization=${await signTestToken()}`);
      cleanups.push(() => other.close());
      await other.roundTrip();

      expect(herald.alive()).toBe(true);
      expect(sent).toBeGreaterThan(0);
    },
    60_000,
  );

  it('logs an unhandled rejection and keeps running once installProcessGuards was called', async () => {
    const script = [
      "import { Logger } from '@aws-lambda-powertools/logger';",
      `import { installProcessGuards } from '${new URL('../dist/index.js', import.meta.url).href}';`,
      "installProcessGuards(new Logger({ serviceName: 'herald' }));",
      "Promise.reject(new Error('one connection failed'));",
      "setImmediate(() => setImmediate(() => { console.log('still running'); process.exit(0); }));",
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });

    const code = await new Promise((resolve) => child.on('exit', resolve));

    expect(code).toBe(0);
    expect(stdout + stderr).toContain('unhandled promise rejection');
    expect(stdout).toContain('still running');
  });
});
