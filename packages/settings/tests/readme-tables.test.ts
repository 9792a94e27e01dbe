import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { settingsTable, type TableKind } from '../src/index.js';

const packages = new URL('../../', import.meta.url);
const tables: { file: string; kind: TableKind }[] = JSON.parse(
  await readFile(new URL('../readme-tables.json', import.meta.url), 'utf8'),
);

describe('the README settings tables', () => {
  it.each(tables)('$file shows every $kind setting as the table has it', async ({ file, kind }) => {
    const readme = await readFile(new URL(file, packages), 'utf8');

    // On a difference: `pnpm run build && pnpm --filter @herald/settings readme` rewrites it.
    expect(readme).toContain(settingsTable(kind));
  });
});
