// Bundles each Lambda entry (src/entries/*.ts) into its own minified ESM file
// with a source map, @aws-sdk/* included so the deployed versions are the
// ones pinned in the lockfile, and writes a size report:
//
//   pnpm --filter @herald/lambda-entrypoints bundle
//
// The CDK construct consumes the same entry files.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const outdir = new URL('dist-bundles/', root).pathname;
const entries = readdirSync(new URL('src/entries/', root))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.replace(/\.ts$/, ''));

const result = await build({
  entryPoints: Object.fromEntries(
    entries.map((name) => [`${name}/index`, new URL(`src/entries/${name}.ts`, root).pathname]),
  ),
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  conditions: ['@herald/source'],
  // Some dependencies still call require(); ESM has none, so give them one.
  banner: {
    js: "import { createRequire as __herald_createRequire } from 'node:module'; const require = __herald_createRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});

const report = entries.map((name) => {
  const file = `${outdir}${name}/index.mjs`;
  const bytes =
    result.metafile.outputs[`dist-bundles/${name}/index.mjs`]?.bytes ?? readFileSync(file).length;
  return { bundle: name, bytes, gzipBytes: gzipSync(readFileSync(file)).length };
});
writeFileSync(`${outdir}report.json`, `${JSON.stringify(report, null, 2)}\n`);
console.table(
  report.map((r) => ({
    bundle: r.bundle,
    'minified KiB': (r.bytes / 1024).toFixed(1),
    'gzip KiB': (r.gzipBytes / 1024).toFixed(1),
  })),
);
