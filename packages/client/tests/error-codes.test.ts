import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_ERROR_CODES, SERVER_ERROR_CODES } from '../src/error-codes.js';

/**
 * The codes of docs/protocol.md's table, which @herald/domain's own test
 * proves equal to its error catalogue: so this test ties the client's copy to
 * the catalogue without the client depending on the domain.
 */
const catalogueCodes = async (): Promise<string[]> => {
  const doc = await readFile(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
  const table = doc.slice(
    doc.indexOf('<!-- error-codes:start -->'),
    doc.indexOf('<!-- error-codes:end -->'),
  );
  return [...table.matchAll(/^\| `([a-z_]+)` \| (?:yes|no) \|/gm)].map((row) => row[1] as string);
};

describe('the client error codes', () => {
  it('copy exactly the codes of the error catalogue', async () => {
    expect([...SERVER_ERROR_CODES].sort()).toEqual((await catalogueCodes()).sort());
  });

  it('keep the client’s own codes apart from the catalogue’s', () => {
    const server = new Set<string>(SERVER_ERROR_CODES);

    expect(CLIENT_ERROR_CODES.filter((code) => server.has(code))).toEqual([]);
  });
});
