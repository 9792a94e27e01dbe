// What a Lambda's first post costs, once per container (issue: "Performance at the limit").
//
//   pnpm run build && pnpm --filter @herald/lambda-entrypoints bench:first-post [-- --rounds 11]
//
// The post path's connection pool (undici) is loaded at the first post, from
// the chunk the notifications bundle imports then (dist-bundles/notifications/
// lazy/connection-pool-*.mjs). In fresh `node` processes, round after round
// and alternating which goes first, this times one POST to a loopback server
// from before the pool's import to the answer, against the same POST over a
// keep-alive `node:http` agent (a built-in, nothing to load). The server runs
// in the same process and is started before the clock.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { median } from '../../../scripts/bench/bench-result.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: { rounds: { type: 'string', default: '11' } },
});
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  throw new Error(`--rounds must be a positive integer, not "${values.rounds}"`);
}

const lazy = fileURLToPath(new URL('../dist-bundles/notifications/lazy/', import.meta.url));
let chunk: string | undefined;
try {
  chunk = readdirSync(lazy).find((file) => /^connection-pool-.*\.mjs$/.test(file));
} catch {
  chunk = undefined;
}
if (chunk === undefined) {
  throw new Error(`no connection pool chunk in ${lazy}: run "pnpm run build" first`);
}

const server = `import { createServer } from 'node:http';
  const server = createServer((q, r) => { q.resume(); q.on('end', () => r.end()); });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const port = server.address().port;
  const body = Buffer.alloc(1024, 120);`;
const probes = {
  'undici pool, loaded at the first post': `${server}
    const t = performance.now();
    const { openPool } = await import(${JSON.stringify(join(lazy, chunk))});
    const pool = openPool('http://127.0.0.1:' + port, { connections: 1, timeoutMs: 5000 });
    const answer = await pool.request({ method: 'POST', path: '/prod/@connections/c1', body });
    await answer.body.dump();
    console.log(performance.now() - t);
    await pool.destroy(); server.close();`,
  'node:http keep-alive agent': `${server}
    const t = performance.now();
    const http = process.getBuiltinModule('node:http');
    const agent = new http.Agent({ keepAlive: true });
    await new Promise((ok, fail) => {
      const q = http.request({ method: 'POST', hostname: '127.0.0.1', port, path: '/prod/@connections/c1', agent }, (r) => { r.resume(); r.on('end', ok); });
      q.on('error', fail); q.end(body);
    });
    console.log(performance.now() - t);
    agent.destroy(); server.close();`,
} as const;

const run = promisify(execFile);
const firstPost = async (probe: string): Promise<number> => {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe]);
  return Number(stdout.trim().split('\n').at(-1));
};
const names = Object.keys(probes) as (keyof typeof probes)[];
const samples = new Map(names.map((name) => [name, [] as number[]]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) samples.get(name)?.push(await firstPost(probes[name]));
  process.stderr.write(`bench: round ${round + 1} of ${ROUNDS}\n`);
}

console.log(
  `\nFirst post in a fresh process, ${ROUNDS} interleaved rounds (Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})\n`,
);
console.log('| client | first post, ms (median) | range |');
console.log('|---|---|---|');
for (const name of names) {
  const xs = samples.get(name) ?? [];
  console.log(
    `| ${name} | ${median(xs).toFixed(1)} | ${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)} |`,
  );
}
