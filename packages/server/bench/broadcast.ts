// Broadcast benchmark for the embedded server (issue: "Embedded server").
//
//   pnpm --filter @herald/server bench [-- --clients 5000 --iterations 30]
//
// One run, one process for the servers, one for the clients (loopback only).
// Both servers run side by side, each with its own clients:
//   - a raw `ws` server that loops `socket.send(buffer)` over its clients (the baseline);
//   - Herald's embedded server, broadcasting through notify() and POST /notifications.
// Each broadcast sends 1 KB and is timed until every client has received it.
// The tasks run interleaved, in rounds of a few iterations each, so that drift
// in the machine's speed during the run falls on all of them alike.
// Memory per idle connection is measured after GC, as heap + external bytes,
// while each server's clients connect.
import { fork } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { StaticKeySource, SystemClock } from '@herald/adapters-node';
import { TokenVerifier } from '@herald/domain';
import { createHeraldServer } from '@herald/server';
import { Bench } from 'tinybench';
import { WebSocketServer } from 'ws';

// `pnpm --filter @herald/server bench -- --clients N` passes the `--` on; it is
// not a flag of the benchmark, so a leading one is dropped.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    clients: { type: 'string', default: '5000' },
    iterations: { type: 'string', default: '40' },
    round: { type: 'string', default: '5' },
  },
});
const CLIENTS = Number(values.clients);
const ITERATIONS = Number(values.iterations);
const ROUND = Number(values.round);
const SECRET = 'benchmark-secret-of-at-least-32-bytes';
const BACKEND_KEY = 'benchmark-backend-key';
const DATA = { type: 'notification', message: 'x'.repeat(1024 - 42) };

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (the bench script does)');

const memory = () => {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed + usage.external, rss: usage.rss };
};

const clients = fork(new URL('./clients.ts', import.meta.url), [], { stdio: 'inherit' });
const replyOf = (type: string) =>
  new Promise<void>((resolve) => {
    const listener = (message: { type: string }) => {
      if (message.type !== type) return;
      clients.off('message', listener);
      resolve();
    };
    clients.on('message', listener);
  });
const command = async (message: object, replyType: string) => {
  const reply = replyOf(replyType);
  clients.send(message);
  await reply;
};

let delivered = 0;
/** Times one broadcast: arms the clients (untimed), then sends and waits until all received it. */
const broadcastTask = (broadcast: () => Promise<void> | void) => {
  let reached: Promise<void> = Promise.resolve();
  return {
    fn: async () => {
      await broadcast();
      await reached;
    },
    options: {
      beforeEach: async () => {
        delivered += CLIENTS;
        reached = replyOf('reached');
        clients.send({ type: 'arm', target: delivered });
      },
    },
  };
};

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

// ---- the two servers, each with its clients ------------------------------
progress(`raw ws server, ${CLIENTS} clients`);
const rawHttp = createServer();
const wss = new WebSocketServer({ server: rawHttp, perMessageDeflate: false });
await new Promise<void>((resolve) => rawHttp.listen(0, '127.0.0.1', resolve));
const rawUrl = `ws://127.0.0.1:${(rawHttp.address() as AddressInfo).port}`;
const rawBefore = memory();
await command({ type: 'connect', url: rawUrl, count: CLIENTS }, 'connected');
const rawAfter = memory();

progress(`Herald embedded server, ${CLIENTS} clients`);
const herald = createHeraldServer({
  port: 0,
  verifier: new TokenVerifier(StaticKeySource.fromSecret(SECRET), new SystemClock(), {
    algorithms: ['HS256'],
  }),
  backendKey: BACKEND_KEY,
  logger: new Logger({ serviceName: 'herald-bench', logLevel: 'SILENT' }),
});
const address = await herald.start();
const heraldBefore = memory();
await command(
  { type: 'connect', url: address.url.replace(/^http/, 'ws'), count: CLIENTS, secret: SECRET },
  'connected',
);
while ((await herald.presence([`user-${CLIENTS - 1}`]))[0]?.online !== true)
  await new Promise((r) => setTimeout(r, 10));
const heraldAfter = memory();

// ---- the broadcasts ----------------------------------------------------------
// The baseline does the same job as Herald, as cheaply as ws allows: it
// serialises once, and sends that one Buffer to every socket as a text frame
// (a Buffer sent without options would go out as a binary frame, which
// browsers hand over as a Blob and clients need not validate as UTF-8).
const rawLoop = broadcastTask(() => {
  const payload = Buffer.from(JSON.stringify(DATA));
  for (const socket of wss.clients) socket.send(payload, { binary: false });
});
const viaNotify = broadcastTask(async () => {
  await herald.notify({ data: DATA });
});
// node:http with keep-alive rather than fetch: the client runs in this process
// too, and its own cost should not be charged to the server.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const postNotification = () =>
  new Promise<void>((resolve, reject) => {
    const body = JSON.stringify({ data: DATA });
    const req = request(`${address.url}/notifications`, {
      method: 'POST',
      agent,
      headers: {
        authorization: `Bearer ${BACKEND_KEY}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
const viaHttp = broadcastTask(postNotification);
const tasks = [
  { name: 'raw ws loop', task: rawLoop },
  { name: 'Herald notify()', task: viaNotify },
  { name: 'Herald POST /notifications', task: viaHttp },
];

const samples = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
const rounds = Math.ceil(ITERATIONS / ROUND);
gc();
for (let round = 0; round < rounds; round++) {
  const bench = new Bench({
    iterations: ROUND,
    time: 0,
    warmupIterations: round === 0 ? 10 : 1,
    warmupTime: 0,
    retainSamples: true,
  });
  for (const { name, task } of tasks) bench.add(name, task.fn, task.options);
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result as { state: string; latency?: { samples?: readonly number[] } };
    if (result.state !== 'completed') throw new Error(`${task.name} ended ${result.state}`);
    samples.get(task.name)?.push(...(result.latency?.samples ?? []));
  }
  progress(`round ${round + 1} of ${rounds}`);
}
agent.destroy();
await command({ type: 'close' }, 'closed');
await herald.stop();
await new Promise<void>((resolve) => rawHttp.close(() => resolve()));
wss.close();
clients.kill();

// ---- report ----------------------------------------------------------------
const stats = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return {
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    p50: at(0.5),
    p99: at(0.99),
  };
};
const baseline = stats(samples.get('raw ws loop') ?? []);
const rows = tasks.map(({ name }) => {
  const latency = stats(samples.get(name) ?? []);
  return {
    broadcast: name,
    'mean ms': latency.mean.toFixed(1),
    'p50 ms': latency.p50.toFixed(1),
    'p99 ms': latency.p99.toFixed(1),
    'mean vs raw': `${(latency.mean / baseline.mean).toFixed(2)}x`,
    'p50 vs raw': `${(latency.p50 / baseline.p50).toFixed(2)}x`,
  };
});
const perConnection = (before: { heap: number }, after: { heap: number }) =>
  (after.heap - before.heap) / CLIENTS;
const rawPerConnection = perConnection(rawBefore, rawAfter);
const heraldPerConnection = perConnection(heraldBefore, heraldAfter);

console.log(
  `\nBroadcast of 1 KB to ${CLIENTS} loopback clients, ${rounds * ROUND} interleaved iterations each (Node ${process.version})`,
);
console.table(rows);
console.log('Memory per idle connection (heap + external, after GC):');
console.table([
  { server: 'raw ws', 'bytes/connection': Math.round(rawPerConnection), 'vs raw': '1.00x' },
  {
    server: 'Herald',
    'bytes/connection': Math.round(heraldPerConnection),
    'vs raw': `${(heraldPerConnection / rawPerConnection).toFixed(2)}x`,
  },
]);
