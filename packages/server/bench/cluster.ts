// Delivery across embedded nodes, and a node's death, on DynamoDB Local.
//
//   pnpm run build && pnpm --filter @herald/server bench:cluster [-- --connections 600 --rounds 30]
//
// Starts DynamoDB Local, then three nodes on one pair of tables and, as the
// baseline, one standalone node on its own pair, all from the built CLI. The
// clients (held by this process) are spread evenly over the three nodes, or
// all on the standalone node. Timed until every targeted client received it:
// - a request to one user, taken by the node that holds its connection
//   (baseline) and by another node (one hop through the owner's management API);
// - a broadcast to every connection, on the standalone node (baseline) and
//   taken by one node of the three (handed once to each of the two others).
// Then it kills one node with SIGKILL and times until a survivor has taken
// that node's users OFFLINE (their presence, read through the HTTP API).
// Timings are reported as ratios against the baselines of the same run.
// Loopback only; it stops everything it started.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTables, emulatorEnvironment, startEmulators } from '@herald/adapters-aws/testing';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--')),
  options: {
    connections: { type: 'string', default: '600' },
    rounds: { type: 'string', default: '30' },
  },
});
const CONNECTIONS = Number(values.connections);
const ROUNDS = Number(values.rounds);
const SECRET = 'cluster-benchmark-secret-of-32-bytes!!';
const BACKEND_KEY = 'cluster-benchmark-backend-key';
const ACCESS_KEYS = 'AKIDCLUSTERBENCH:cluster-bench-secret';
const HEARTBEAT_MS = 1000;
const LEASE_MS = 5000;
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const token = (sub: string) =>
  new SignJWT({ channels: ['*'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

const children: ChildProcess[] = [];
const startNode = async (env: Record<string, string>, cluster: boolean) => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [CLI], {
    env: {
      PATH: process.env.PATH,
      ...env,
      HERALD_PORT: String(port),
      HERALD_JWT_SECRET: SECRET,
      HERALD_BACKEND_KEY: BACKEND_KEY,
      HERALD_LOG_LEVEL: 'ERROR',
      HERALD_MAX_CONNECTIONS_PER_ADDRESS: String(CONNECTIONS * 2),
      ...(cluster
        ? {
            HERALD_ADVERTISE_URL: url,
            HERALD_MANAGEMENT_API: 'any',
            HERALD_MANAGEMENT_ACCESS_KEYS: ACCESS_KEYS,
            HERALD_NODE_HEARTBEAT_MS: String(HEARTBEAT_MS),
            HERALD_NODE_LEASE_MS: String(LEASE_MS),
          }
        : {}),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      if (out.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`a node exited with ${code}`)));
  });
  return { url, ws: `${url.replace('http', 'ws')}/local`, child };
};

interface Receiver {
  readonly socket: WebSocket;
  count: number;
  closedWith?: number;
}

const open = async (url: string, user: string): Promise<Receiver> => {
  const socket = new WebSocket(`${url}?authorization=${await token(user)}`, {
    perMessageDeflate: false,
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const receiver: Receiver = { socket, count: 0 };
  socket.on('message', () => {
    receiver.count++;
  });
  socket.on('close', (code) => {
    receiver.closedWith = code;
  });
  return receiver;
};

const notify = (url: string, body: unknown) =>
  fetch(`${url}/notifications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BACKEND_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((response) => response.json() as Promise<{ delivered: number }>);

/** Milliseconds from sending until every receiver got one more message. */
const timed = async (
  what: string,
  receivers: readonly Receiver[],
  send: () => Promise<unknown>,
) => {
  const before = receivers.map((r) => r.count);
  const started = performance.now();
  const answer = await send();
  while (receivers.some((r, i) => r.count <= (before[i] ?? 0))) {
    if (performance.now() - started > 10_000) {
      const missing = receivers.filter((r, i) => r.count <= (before[i] ?? 0));
      const closes = missing.map((r) => r.closedWith ?? 'open').join(', ');
      throw new Error(
        `${what}: ${missing.length} client(s) received nothing in 10 s (closed with: ${closes}); ` +
          `answer ${JSON.stringify(answer)}`,
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return performance.now() - started;
};

const mean = (samples: readonly number[]) => samples.reduce((a, b) => a + b, 0) / samples.length;

const emulators = await startEmulators();
try {
  const dynamo = new DynamoDBClient({
    endpoint: emulators.dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
  });
  const aws = emulatorEnvironment(emulators);
  const shared = await createTables(dynamo);
  const alone = await createTables(dynamo);
  const tablesOf = (t: { connections: string; presence: string }) => ({
    ...aws,
    HERALD_CONNECTIONS_TABLE: t.connections,
    HERALD_PRESENCE_TABLE: t.presence,
  });
  const nodes = await Promise.all([0, 1, 2].map(() => startNode(tablesOf(shared), true)));
  const single = await startNode(tablesOf(alone), false);
  const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];

  const spread: Receiver[] = [];
  const onSingle: Receiver[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    spread.push(await open((nodes[i % 3] as (typeof nodes)[0]).ws, `user-${i}`));
    onSingle.push(await open(single.ws, `user-${i}`));
  }
  console.log(
    `${CONNECTIONS} connections on the 3 nodes and ${CONNECTIONS} on the standalone node`,
  );
  const target = spread[0] as Receiver; // user-0, on node a
  const samples = {
    local: [] as number[],
    remote: [] as number[],
    single: [] as number[],
    cluster: [] as number[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    samples.local.push(
      await timed('to a user, its own node', [target], () =>
        notify(a.url, { users: ['user-0'], data: round }),
      ),
    );
    samples.remote.push(
      await timed('to a user, another node', [target], () =>
        notify(b.url, { users: ['user-0'], data: round }),
      ),
    );
    samples.single.push(
      await timed('broadcast, standalone', onSingle, () => notify(single.url, { data: round })),
    );
    samples.cluster.push(
      await timed('broadcast, cluster', spread, () => notify(c.url, { data: round })),
    );
  }

  // c dies; its users are those with i % 3 === 2
  const theirs = Array.from({ length: CONNECTIONS }, (_, i) => i).filter((i) => i % 3 === 2);
  const probe = theirs.slice(0, 50).map((i) => `user-${i}`);
  c.child.kill('SIGKILL');
  const killedAt = performance.now();
  console.log(`killed one node; waiting for ${probe.length} of its users to be OFFLINE`);
  for (;;) {
    if (performance.now() - killedAt > 60_000)
      throw new Error('its users were not OFFLINE in 60 s');
    const response = await fetch(`${a.url}/presence?userIds=${probe.join(',')}`, {
      headers: { authorization: `Bearer ${BACKEND_KEY}` },
    });
    const { users } = (await response.json()) as { users: { online: boolean }[] };
    if (users.every((u) => !u.online)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const offlineMs = performance.now() - killedAt;
  const survivors = spread.filter((_, i) => i % 3 !== 2);
  const afterDeath = await timed('broadcast after the death', survivors, () =>
    notify(a.url, { data: 'after' }),
  );

  const rows = [
    ['to one user, taken by its own node', mean(samples.local), mean(samples.local)],
    ['to one user, taken by another node (one hop)', mean(samples.remote), mean(samples.local)],
    [
      `broadcast to ${CONNECTIONS}, one standalone node`,
      mean(samples.single),
      mean(samples.single),
    ],
    [`broadcast to ${CONNECTIONS}, over 3 nodes`, mean(samples.cluster), mean(samples.single)],
  ] as const;
  console.log(
    `\nDelivery across nodes, DynamoDB Local, ${CONNECTIONS} connections, ${ROUNDS} rounds`,
  );
  console.table(
    rows.map(([what, ms, base]) => ({
      request: what,
      'mean ms': ms.toFixed(1),
      'vs baseline': `${(ms / base).toFixed(2)}×`,
    })),
  );
  console.log(
    `node killed with SIGKILL: its users OFFLINE after ${offlineMs.toFixed(0)} ms ` +
      `(lease ${LEASE_MS} ms, heartbeat ${HEARTBEAT_MS} ms: bound ${LEASE_MS + HEARTBEAT_MS} ms plus the removal); ` +
      `then a broadcast to the ${survivors.length} survivors in ${afterDeath.toFixed(1)} ms`,
  );
} finally {
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
          child.once('exit', resolve);
          child.kill('SIGKILL');
        }),
    ),
  );
  await emulators.stop();
}
