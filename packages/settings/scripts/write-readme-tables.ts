// Rewrites the settings tables of the READMEs listed in readme-tables.json
// from Herald's settings table (after a build):
//   pnpm --filter @herald/settings readme
import { readFile, writeFile } from 'node:fs/promises';
import { type TableKind, withSettingsTable } from '@herald/settings';

const packages = new URL('../../', import.meta.url);
const tables: { file: string; kind: TableKind }[] = JSON.parse(
  await readFile(new URL('../readme-tables.json', import.meta.url), 'utf8'),
);
for (const { file, kind } of tables) {
  const url = new URL(file, packages);
  const before = await readFile(url, 'utf8');
  const after = withSettingsTable(before, kind);
  if (after !== before) await writeFile(url, after);
  process.stdout.write(`${after === before ? 'unchanged' : 'rewritten'}: packages/${file}\n`);
}
