import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleSize } from '../scripts/bundle-size.ts';

const BUDGET_BYTES = 6 * 1024;

describe('@herald/client size', () => {
  it('stays under 6 KB minified and gzipped, everything it imports included', async () => {
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

    const { minified, gzipped } = await bundleSize(entry);

    expect(minified).toBeGreaterThan(gzipped);
    expect(gzipped).toBeLessThan(BUDGET_BYTES);
  });
});
