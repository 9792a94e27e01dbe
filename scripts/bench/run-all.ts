// Every benchmark, one command:
//
//   pnpm bench [--quick]
//
// Builds (turbo, cached), then runs each package's benchmark one after the
// other. Each benchmark runs its own baseline interleaved with Herald in the
// same run, round after round, and reports per-round ratios (see each
// bench's header). This script collects them into one markdown table of
// ratios against the goals, printed and written to bench-results.md with the
// machine, the load before and after, and each benchmark's own table.
// `--quick` runs fewer rounds and sizes (a few minutes); the default run is
// bounded at about ten minutes on a 2-core machine.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchResult, median } from './bench-result.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results.md' },
  },
});
const quick = values.quick === true;
const root = new URL('../../', import.meta.url).pathname;

interface Benchmark {
  readonly name: string;
  readonly pkg: string;
  readonly script: string;
  readonly args: readonly string[];
}
const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'API Gateway post path',
    pkg: '@herald/adapters-aws',
    script: 'bench',
    args: quick ? ['--posts', '1000', '--rounds', '4'] : ['--posts', '2000', '--rounds', '8'],
  },
  {
    name: 'fanout',
    pkg: '@herald/lambda-entrypoints',
    script: 'bench:fanout',
    args: quick ? ['--rounds', '3'] : ['--rounds', '5'],
  },
  {
    name: 'Lambda cold start',
    pkg: '@herald/lambda-entrypoints',
    script: 'bench',
    args: quick ? ['--rounds', '5'] : ['--rounds', '21'],
  },
  {
    name: 'embedded broadcast and memory',
    pkg: '@herald/server',
    script: 'bench',
    args: quick
      ? ['--sizes', '5000', '--rounds', '3', '--per-round', '3']
      : ['--sizes', '5000,10000,20000', '--rounds', '4', '--per-round', '4', '--pairs', '2'],
  },
];

const uptime = () => execFileSync('uptime').toString().trim();
const work = mkdtempSync(join(tmpdir(), 'herald-bench-'));
const resultsFile = join(work, 'results.jsonl');
const started = new Date();
const loadBefore = uptime();

process.stderr.write('bench: building (pnpm run build)\n');
execFileSync('pnpm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

/** Runs one benchmark, its progress on stderr; resolves with its printed table. */
const run = (bench: Benchmark): Promise<{ output: string; seconds: number }> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    process.stderr.write(`bench: ${bench.name} (${bench.pkg} ${bench.script})\n`);
    const child = spawn(
      'pnpm',
      [
        '--silent',
        '--filter',
        bench.pkg,
        bench.script,
        '--',
        ...bench.args,
        '--results',
        resultsFile,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve({ output: output.trim(), seconds: (performance.now() - t0) / 1000 })
        : reject(new Error(`${bench.name} exited ${code}:\n${output}`)),
    );
  });

const sections: string[] = [];
for (const bench of BENCHMARKS) {
  const { output, seconds } = await run(bench);
  sections.push(
    `### ${bench.name}\n\n\`pnpm --filter ${bench.pkg} ${bench.script} -- ${bench.args.join(' ')}\` (${seconds.toFixed(0)} s)\n\n${output}\n`,
  );
}
const loadAfter = uptime();

const results = readFileSync(resultsFile, 'utf8')
  .split('\n')
  .filter((line) => line.length > 0)
  .map((line) => JSON.parse(line) as BenchResult);
rmSync(work, { recursive: true, force: true });

const rows = results.map((r) => {
  if (r.skipped !== undefined) {
    return `| ${r.measure} | ${r.baseline} | skipped: ${r.skipped} | | ${r.goal} | not run |`;
  }
  const spread =
    r.ratios.length > 1
      ? `${Math.min(...r.ratios).toFixed(2)}–${Math.max(...r.ratios).toFixed(2)}`
      : 'one sample';
  const verdict = r.reference === true ? 'reference' : r.met ? 'met' : 'missed';
  return `| ${r.measure} | ${r.baseline} | ${median(r.ratios).toFixed(2)}× | ${spread} (${r.ratios.length}) | ${r.goal} | ${verdict} |`;
});
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${process.arch}, Node ${process.version}`;
const table = [
  `## Benchmarks${quick ? ' (quick run)' : ''}, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `Machine: ${machine}.`,
  `Load before: \`${loadBefore}\`; after: \`${loadAfter}\`.`,
  '',
  '| measure | baseline (same run, interleaved) | ratio, median | range (rounds) | goal | |',
  '|---|---|---|---|---|---|',
  ...rows,
  '',
].join('\n');
const report = `${table}\n${sections.join('\n')}`;
writeFileSync(join(root, values.out as string), report);
console.log(`\n${table}`);
process.stderr.write(`bench: written to ${values.out}\n`);
