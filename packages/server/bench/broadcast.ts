// Broadcast benchmark for the embedded server (issue: "Performance at the limit").
//
//   pnpm --filter @herald/server bench [-- --sizes 5000,10000,20000 --rounds 5 --per-round 4 --pairs 2]
//
// (after `pnpm run build`). Loopback only. Each server runs alone in its own
// process, and each server's clients in another (four processes per size),
// so each server's CPU time and memory are its own and no process holds more
// than one server's sockets:
//   - a raw `ws` server that loops `socket.send(buffer)` over its clients (the baseline);
//   - Herald's embedded server, broadcasting through notify().
// Every child is started by a shell that raises its open-file limit to the
// hard limit first; a size that needs more open files than that is skipped,
// with the reason printed. Each broadcast sends 1 KB; the server's CPU time
// (user + system) is counted from the broadcast until its clients have all
// received it. Rounds alternate which server goes first; each round gives the
// ratio of Herald's median CPU per broadcast to the raw loop's, and the table
// shows the median and range over the rounds. Which core a process lands on
// moves its CPU time, so each size starts `--pairs` fresh pairs of servers
// (with their clients), each running the rounds, and the range covers them all. Memory per idle connection is
// each server's heap + external bytes after GC, before and after its clients
// connect.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, writeBenchResult } from '../../../scripts/bench/bench-result.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    sizes: { type: 'string', default: '5000,10000,20000' },
    rounds: { type: 'string', default: '5' },
    'per-round': { type: 'string', default: '4' },
    pairs: { type: 'string', default: '1' },
    results: { type: 'string' },
  },
});
const SIZES = (values.sizes as string).split(',').map(Number);
const ROUNDS = Number(values.rounds);
const PER_ROUND = Number(values['per-round']);
const PAIRS = Number(values.pairs);
const SECRET = 'benchmark-secret-of-at-least-32-bytes';
const CPU_GOAL = 1.15;
const MEMORY_GOAL = 1.5;
/** Open files a process needs besides its sockets (Node's own, the listener, IPC). */
const SPARE_FILES = 200;

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
const hardLimit = (() => {
  const text = execFileSync('sh', ['-c', 'ulimit -Hn']).toString().trim();
  return text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text);
})();

/** A child process with IPC, its open-file limit raised to the hard limit. */
const child = (file: string, args: readonly string[]): ChildProcess =>
  spawn(
    'sh',
    [
      '-c',
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
      'sh',
      process.execPath,
      '--expose-gc',
      fileURLToPath(new URL(file, import.meta.url)),
      ...args,
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );

/** Sends a command and resolves with the first reply of `replyType`. */
const ask = <T>(to: ChildProcess, message: object, replyType?: string): Promise<T> =>
  new Promise<T>((resolve) => {
    if (replyType !== undefined) {
      const listener = (reply: { type: string }) => {
        if (reply.type !== replyType) return;
        to.off('message', listener);
        resolve(reply as T);
      };
      to.on('message', listener);
    }
    to.send(message);
    if (replyType === undefined) resolve(undefined as T);
  });

interface Side {
  readonly name: 'raw' | 'herald';
  readonly server: ChildProcess;
  readonly clients: ChildProcess;
  /** Messages the clients have been asked to have received, in all. */
  delivered: number;
  readonly bytesPerConnection: number;
}

/** Starts one server and its clients; resolves once they are all connected. */
const startSide = async (name: 'raw' | 'herald', count: number): Promise<Side> => {
  const server = child('./broadcast-server.ts', [name]);
  const clients = child('./clients.ts', []);
  const { url, before } = await ask<{ url: string; before: number }>(
    server,
    { type: 'listen', secret: SECRET },
    'listening',
  );
  await ask(
    clients,
    name === 'raw'
      ? { type: 'connect', url, count }
      : { type: 'connect', url, count, secret: SECRET },
    'connected',
  );
  const { after } = await ask<{ after: number }>(server, { type: 'settled', count }, 'settled');
  return { name, server, clients, delivered: 0, bytesPerConnection: (after - before) / count };
};

/** One broadcast; the server's CPU ms from the broadcast until every client has it. */
const broadcastOnce = async (side: Side, count: number): Promise<number> => {
  side.delivered += count;
  const reached = new Promise<void>((resolve) => {
    const listener = (message: { type: string }) => {
      if (message.type !== 'reached') return;
      side.clients.off('message', listener);
      resolve();
    };
    side.clients.on('message', listener);
  });
  side.clients.send({ type: 'arm', target: side.delivered });
  side.server.send({ type: 'broadcast' });
  await reached;
  return (await ask<{ cpuMs: number }>(side.server, { type: 'measured' }, 'measured')).cpuMs;
};

const stopSide = async (side: Side) => {
  await ask(side.clients, { type: 'close' }, 'closed');
  side.clients.kill();
  const exited = new Promise((resolve) => side.server.once('exit', resolve));
  side.server.send({ type: 'stop' });
  await exited;
};

const range = (xs: readonly number[]) =>
  `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

interface SizeResult {
  readonly size: number;
  readonly skipped?: string;
  readonly rawCpuMs?: number;
  readonly heraldCpuMs?: number;
  readonly cpuRatios?: readonly number[];
  readonly memoryRatio?: number;
  /** One per pair of server processes. */
  readonly memoryRatios?: readonly number[];
  readonly rawBytes?: number;
  readonly heraldBytes?: number;
}

const results: SizeResult[] = [];
for (const size of SIZES) {
  if (size + SPARE_FILES > hardLimit) {
    const skipped = `needs about ${size + SPARE_FILES} open files in one process; this machine's hard limit is ${hardLimit} (raise it, as root, with ulimit -Hn or limits.conf)`;
    progress(`skipping ${size} clients: ${skipped}`);
    results.push({ size, skipped });
    continue;
  }
  const rawAll: number[] = [];
  const heraldAll: number[] = [];
  const cpuRatios: number[] = [];
  const rawBytes: number[] = [];
  const heraldBytes: number[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    const of = PAIRS > 1 ? `, pair ${pair + 1} of ${PAIRS}` : '';
    progress(`${size} clients: raw ws server${of}`);
    const raw = await startSide('raw', size);
    progress(`${size} clients: Herald embedded server${of}`);
    const herald = await startSide('herald', size);
    // Warm-up broadcasts, uncounted.
    for (let i = 0; i < 3; i++) {
      await broadcastOnce(raw, size);
      await broadcastOnce(herald, size);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const each = { raw: [] as number[], herald: [] as number[] };
      const order = round % 2 === 0 ? [raw, herald] : [herald, raw];
      for (let i = 0; i < PER_ROUND; i++) {
        for (const side of order) each[side.name].push(await broadcastOnce(side, size));
      }
      rawAll.push(...each.raw);
      heraldAll.push(...each.herald);
      cpuRatios.push(median(each.herald) / median(each.raw));
      progress(`${size} clients: round ${round + 1} of ${ROUNDS}${of}`);
    }
    await stopSide(raw);
    await stopSide(herald);
    rawBytes.push(raw.bytesPerConnection);
    heraldBytes.push(herald.bytesPerConnection);
  }
  results.push({
    size,
    rawCpuMs: median(rawAll),
    heraldCpuMs: median(heraldAll),
    cpuRatios,
    rawBytes: median(rawBytes),
    heraldBytes: median(heraldBytes),
    memoryRatio: median(heraldBytes) / median(rawBytes),
    memoryRatios: heraldBytes.map((bytes, pair) => bytes / (rawBytes[pair] as number)),
  });
}

console.log(
  `\nEmbedded broadcast of 1 KB, server CPU per broadcast, ${ROUNDS} interleaved rounds of ${PER_ROUND} broadcasts per server, ${PAIRS} pair${PAIRS > 1 ? 's' : ''} of server processes per size (Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})\n`,
);
console.log(
  `| clients | raw ws CPU ms | Herald CPU ms | CPU ratio, median (range) | goal <= ${CPU_GOAL} | bytes/idle connection, raw / Herald | memory ratio | goal <= ${MEMORY_GOAL} |`,
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  if (r.skipped !== undefined) {
    console.log(`| ${r.size} | skipped: ${r.skipped} | | | | | | |`);
    continue;
  }
  const ratios = r.cpuRatios as number[];
  console.log(
    `| ${r.size} | ${(r.rawCpuMs as number).toFixed(1)} | ${(r.heraldCpuMs as number).toFixed(1)} | ${range(ratios)} | ${median(ratios) <= CPU_GOAL ? 'met' : 'missed'} | ${Math.round(r.rawBytes as number)} / ${Math.round(r.heraldBytes as number)} | ${(r.memoryRatio as number).toFixed(2)}× | ${(r.memoryRatio as number) <= MEMORY_GOAL ? 'met' : 'missed'} |`,
  );
}
writeBenchResult(
  values.results,
  results.flatMap((r) => [
    {
      measure: `embedded broadcast, 1 KB, server CPU per broadcast, ${r.size} clients`,
      baseline: 'raw ws loop over the same number of sockets',
      ratios: r.cpuRatios ?? [],
      goal: `<= ${CPU_GOAL}`,
      met: r.cpuRatios !== undefined && median(r.cpuRatios) <= CPU_GOAL,
      ...(r.skipped === undefined ? {} : { skipped: r.skipped }),
    },
    {
      measure: `memory per idle connection, ${r.size} clients`,
      baseline: 'raw ws',
      ratios: r.memoryRatios ?? [],
      goal: `<= ${MEMORY_GOAL}`,
      met: r.memoryRatio !== undefined && r.memoryRatio <= MEMORY_GOAL,
      ...(r.skipped === undefined ? {} : { skipped: r.skipped }),
    },
  ]),
);
