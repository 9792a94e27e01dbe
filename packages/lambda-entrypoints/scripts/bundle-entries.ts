// How every Lambda bundle is built, shared by scripts/bundle.ts and the
// cold-import benchmark (which builds its hand-written baselines the same way).
import { build, type Metafile, type Plugin } from 'esbuild';

/**
 * Powertools Logger imports `node:crypto` for one function, `randomInt`, which
 * it calls only when debug-log sampling is configured
 * (`POWERTOOLS_LOGGER_SAMPLE_RATE`). Loading `node:crypto` costs a cold start
 * about 6 ms, a quarter of the authorizer's whole init, which otherwise never
 * needs it (jose verifies with WebCrypto). This gives the Logger a `randomInt`
 * that loads `node:crypto` at its first call. Should a Logger version import
 * anything else from `node:crypto`, the build fails on the missing export.
 */
const deferLoggerCrypto: Plugin = {
  name: 'herald-defer-logger-crypto',
  setup(plugin) {
    plugin.onResolve({ filter: /^node:crypto$/ }, ({ importer }) =>
      /[\\/]@aws-lambda-powertools[\\/]logger[\\/]/.test(importer)
        ? { path: 'node:crypto', namespace: 'herald-deferred-builtin' }
        : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: 'herald-deferred-builtin' }, () => ({
      contents:
        "export const randomInt = (...args) => process.getBuiltinModule('node:crypto').randomInt(...args);",
      loader: 'js',
    }));
  },
};

interface BuiltBundle {
  readonly name: string;
  /** The entry file: `{outdir}/{name}/index.mjs`. */
  readonly file: string;
  /** The files a cold start loads: the entry file first, then its static chunks. */
  readonly loaded: readonly string[];
  /** Bytes a cold start loads: the entry file and the chunks it imports statically. */
  readonly bytes: number;
  /** Bytes of the chunks it imports only on demand (the secret-store clients), beside it. */
  readonly lazyBytes: number;
  readonly metafile: Metafile;
}

/**
 * Bundles each entry into its own minified ESM directory,
 * `{outdir}/{name}/index.mjs` with a source map, `@aws-sdk/*` included so the
 * deployed versions are the lockfile's. Each entry is built on its own with
 * code splitting, so what it imports with `import()` (the secret-store
 * clients, only when a stored key is configured) becomes a chunk in its own
 * directory, parsed only when it is first used, and no chunk is shared across
 * functions.
 */
const bundleEntries = (
  entries: Readonly<Record<string, string>>,
  outdir: string,
): Promise<BuiltBundle[]> =>
  Promise.all(
    Object.entries(entries).map(async ([name, entry]) => {
      const dir = `${outdir.replace(/\/+$/, '')}/${name}`;
      const { metafile } = await build({
        entryPoints: { index: entry },
        outdir: dir,
        outExtension: { '.js': '.mjs' },
        chunkNames: 'lazy/[name]-[hash]',
        bundle: true,
        splitting: true,
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
        plugins: [deferLoggerCrypto],
        metafile: true,
        logLevel: 'warning',
      });
      // What a cold start loads: the entry and the chunks it imports
      // statically, transitively; the rest waits for an import().
      const outputs = metafile.outputs;
      const eager = new Set<string>();
      const visit = (path: string) => {
        if (eager.has(path)) return;
        eager.add(path);
        for (const i of outputs[path]?.imports ?? []) {
          if (i.kind === 'import-statement' && !i.external) visit(i.path);
        }
      };
      const entryPath = Object.keys(outputs).find((path) => path.endsWith('/index.mjs'));
      if (entryPath !== undefined) visit(entryPath);
      let bytes = 0;
      let lazyBytes = 0;
      for (const [path, output] of Object.entries(outputs)) {
        if (path.endsWith('.map')) continue;
        if (eager.has(path)) bytes += output.bytes;
        else lazyBytes += output.bytes;
      }
      const cwd = process.cwd();
      const loaded = [...eager].map((path) => (path.startsWith('/') ? path : `${cwd}/${path}`));
      return { name, file: `${dir}/index.mjs`, loaded, bytes, lazyBytes, metafile };
    }),
  );

export type { BuiltBundle };
export { bundleEntries };
