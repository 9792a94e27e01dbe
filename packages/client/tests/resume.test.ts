import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@herald/domain/testing';
import { launch, signTestToken, TEST_SECRET } from '@herald/server/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HeraldClient, type Notification, type StreamResumed } from '../src/index.js';
import { freePort } from './support/page-server.js';

const SERVER_CLI = fileURLToPath(new URL('../../server/dist/cli.js', import.meta.url));
const BACKEND_KEY = 'backend-key-for-resume-tests';

/** The embedded server as a process on a fixed port, so that a restart is found at the same URL. */
const embeddedServer = async (args: string[] = []) => {
  const port = await freePort();
  let current: ReturnType<typeof launch> | undefined;
  const start = async () => {
    const started = launch(SERVER_CLI, ['--port', String(port), ...args], {
      HERALD_JWT_SECRET: TEST_SECRET,
      HERALD_BACKEND_KEY: BACKEND_KEY,
      HERALD_LOG_LEVEL: 'WARN',
    });
    current = started;
    await waitFor(() => (started.output.stdout.includes('listening on') ? true : undefined), {
      what: 'the server to start',
      timeoutMs: 20_000,
    });
  };
  await start();
  return {
    wsUrl: `ws://127.0.0.1:${port}/`,
    start,
    kill: async () => {
      current?.child.kill('SIGKILL');
      await current?.exited;
    },
    notify: (body: unknown) =>
      fetch(`http://127.0.0.1:${port}/notifications`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BACKEND_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((response) => response.json()),
  };
};

/**
 * Whether the server speaks resume: the envelope on a notification, and an
 * answer to `resume` that is not `unknown_action`. Undefined when it does; the
 * reason otherwise.
 */
const resumeUnsupported = async (
  server: Awaited<ReturnType<typeof embeddedServer>>,
): Promise<string | undefined> => {
  const token = await signTestToken({ sub: 'probe' });
  const socket = new WebSocket(server.wsUrl, ['herald.v1', token]);
  const frames: Record<string, unknown>[] = [];
  socket.onmessage = (event) => frames.push(JSON.parse(String(event.data)));
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  try {
    socket.send(
      JSON.stringify({ action: 'resume', streams: { 'user:probe': { epoch: '', offset: 0 } } }),
    );
    const answer = await waitFor(
      () => frames.find((f) => f.type === 'resumed' || f.type === 'error'),
      { what: 'an answer to resume' },
    );
    if (answer.type === 'error') {
      return `the server answers resume with ${String(answer.code)}: it does not support resume yet`;
    }
    await server.notify({ users: ['probe'], data: { probe: true } });
    const notification = await waitFor(
      () => frames.find((f) => f.type === 'notification' || (f as { probe?: boolean }).probe),
      { what: 'the probe notification' },
    );
    return typeof notification.stream === 'string'
      ? undefined
      : 'the server sends no herald.v1 envelope';
  } finally {
    socket.close();
  }
};

/** A Node SDK client recording what it receives. */
const nodeClient = (wsUrl: string, user: string) => {
  const seen = {
    notifications: [] as Notification[],
    resumed: [] as StreamResumed[],
    connects: 0,
  };
  const client = new HeraldClient({
    url: wsUrl,
    carrier: 'subprotocol',
    getToken: () => signTestToken({ sub: user }),
    backoff: { initialDelayMs: 200, maxDelayMs: 2000 },
  });
  client.on('notification', (n) => seen.notifications.push(n));
  client.on('resumed', (r) => seen.resumed.push(r));
  client.on('state', (state) => {
    if (state === 'connected') seen.connects += 1;
  });
  return { client, seen };
};

describe('resume through a server restart (Node SDK, embedded server)', () => {
  let unsupported: string | undefined;
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  beforeAll(async () => {
    if (!existsSync(SERVER_CLI)) {
      throw new Error(
        `${SERVER_CLI} is missing: run "pnpm run build" first (the README's test command does)`,
      );
    }
    const server = await embeddedServer();
    try {
      unsupported = await resumeUnsupported(server);
    } finally {
      await server.kill();
    }
    if (unsupported !== undefined) console.warn(`resume end-to-end tests skipped: ${unsupported}`);
  }, 30_000);

  it('reports recovered:false for a stream whose history a restart with memory state lost', async (context) => {
    if (unsupported !== undefined) return context.skip(unsupported);
    const server = await embeddedServer();
    cleanups.push(() => server.kill());
    const { client, seen } = nodeClient(server.wsUrl, 'u1');
    cleanups.push(() => client.close());
    client.connect();
    await waitFor(() => (client.state === 'connected' ? true : undefined), { what: 'connected' });
    await server.notify({ users: ['u1'], data: { n: 1 } });
    await waitFor(() => seen.notifications[0], { what: 'the first notification' });

    await server.kill();
    await server.start();
    const answer = await waitFor(() => seen.resumed.find((r) => r.stream === 'user:u1'), {
      what: 'the resume answer',
      timeoutMs: 15_000,
    });

    expect(answer.recovered).toBe(false);
    expect(answer.epoch).not.toBe(seen.notifications[0]?.epoch);
  });

  it('takes 200 clients through a restart: all reconnect, and nothing sent while they were connected is lost, repeated or reordered', {
    timeout: 60_000,
  }, async () => {
    const server = await embeddedServer();
    cleanups.push(() => server.kill());
    const clients = Array.from({ length: 200 }, (_, i) => nodeClient(server.wsUrl, `u${i}`));
    for (const { client } of clients) {
      cleanups.push(() => client.close());
      client.connect();
    }
    const allConnected = () =>
      waitFor(
        () => (clients.every(({ client }) => client.state === 'connected') ? true : undefined),
        {
          what: 'every client to connect',
          timeoutMs: 30_000,
        },
      );
    const sendRound = async (round: number) => {
      for (let n = 0; n < 3; n += 1) {
        await server.notify({
          users: clients.map((_, i) => `u${i}`),
          data: { round, n },
        });
      }
    };
    const received = (round: number) =>
      waitFor(
        () =>
          clients.every(
            ({ seen }) =>
              seen.notifications.filter((x) => (x.data as { round: number }).round === round)
                .length >= 3,
          )
            ? true
            : undefined,
        { what: `every client to receive round ${round}`, timeoutMs: 20_000 },
      );

    await allConnected();
    await sendRound(1);
    await received(1);
    await server.kill();
    await server.start();
    await waitFor(() => (clients.every(({ seen }) => seen.connects >= 2) ? true : undefined), {
      what: 'every client to reconnect',
      timeoutMs: 30_000,
    });
    await sendRound(2);
    await received(2);

    for (const { seen } of clients) {
      const data = seen.notifications.map((x) => x.data as { round: number; n: number });
      expect(data).toEqual([
        { round: 1, n: 0 },
        { round: 1, n: 1 },
        { round: 1, n: 2 },
        { round: 2, n: 0 },
        { round: 2, n: 1 },
        { round: 2, n: 2 },
      ]);
    }
    if (unsupported === undefined) {
      // Memory state: the restart lost the history, and each client was told.
      for (const { seen } of clients) expect(seen.resumed.map((r) => r.recovered)).toEqual([false]);
    } else {
      console.warn(`200 clients: recovered:false after the restart not checked: ${unsupported}`);
    }
  });
});
