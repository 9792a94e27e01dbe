import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/**
 * The size an application pays for a package in a browser: its entry bundled
 * with everything it imports, minified by esbuild for browsers (ES2020, ESM),
 * then gzipped by zlib at its highest level. Every package in the README's
 * comparison is measured by this one function.
 */
const bundleSize = async (
  entry: string,
  options: { readonly resolveDir?: string } = {},
): Promise<{ minified: number; gzipped: number }> => {
  const result = await build({
    stdin: {
      contents: `export * from ${JSON.stringify(entry)};`,
      resolveDir: options.resolveDir ?? process.cwd(),
      loader: 'js',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength };
};

export { bundleSize };
