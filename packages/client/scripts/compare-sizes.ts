// Measures @herald/client, and, when they are installed under the folder
// given, centrifuge and pusher-js, the same way (scripts/bundle-size.ts):
//   npm install --prefix /tmp/herald-sizes centrifuge@5.8.0 pusher-js@8.6.0
//   node packages/client/scripts/compare-sizes.ts /tmp/herald-sizes
// The comparison is kept out of the client's dependencies on purpose: it is
// measured once and recorded in the README.
import { fileURLToPath } from 'node:url';
import { bundleSize } from './bundle-size.ts';

const others = process.argv[2];
const rows: [string, string, string][] = [
  ['@herald/client', fileURLToPath(new URL('../src/index.ts', import.meta.url)), process.cwd()],
];
if (others !== undefined) {
  rows.push(['centrifuge', 'centrifuge', others], ['pusher-js', 'pusher-js', others]);
}
for (const [name, entry, resolveDir] of rows) {
  const { minified, gzipped } = await bundleSize(entry, { resolveDir });
  console.log(`${name}\t${minified} B minified\t${gzipped} B min+gzip`);
}
