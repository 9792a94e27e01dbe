// Bundles each Lambda entry (src/entries/*.ts) into its own minified ESM file
// with a source map, @aws-sdk/* included so the deployed versions are the
// ones pinned in the lockfile, and writes a size report:
//
//   pnpm --filter @herald/lambda-entrypoints bundle
//
// The CDK construct consumes the same entry files.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { bundleEntries } from './bundle-entries.ts';

const root = new URL('..', import.meta.url);
const outdir = new URL('dist-bundles/', root).pathname;
const entries = readdirSync(new URL('src/entries/', root))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.replace(/\.ts$/, ''));

rmSync(outdir, { recursive: true, force: true });
const built = await bundleEntries(
  Object.fromEntries(
    entries.map((name) => [name, new URL(`src/entries/${name}.ts`, root).pathname]),
  ),
  outdir,
);

const report = built.map(({ name, loaded, bytes, lazyBytes }) => ({
  bundle: name,
  bytes,
  gzipBytes: loaded.reduce((sum, file) => sum + gzipSync(readFileSync(file)).length, 0),
  lazyBytes,
}));
writeFileSync(`${outdir}report.json`, `${JSON.stringify(report, null, 2)}\n`);
console.table(
  report.map((r) => ({
    bundle: r.bundle,
    'minified KiB': (r.bytes / 1024).toFixed(1),
    'gzip KiB': (r.gzipBytes / 1024).toFixed(1),
    'loaded on demand KiB': (r.lazyBytes / 1024).toFixed(1),
  })),
);
