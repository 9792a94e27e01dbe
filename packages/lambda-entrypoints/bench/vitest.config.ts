import { defineConfig } from 'vitest/config';

// The benchmarks: `pnpm --filter @herald/lambda-entrypoints bench` (not part of `pnpm run test`).
export default defineConfig({
  resolve: { conditions: ['@herald/source'] },
  ssr: { resolve: { conditions: ['@herald/source'] } },
  test: {
    include: ['bench/**/*.bench.ts'],
    testTimeout: 600_000,
  },
});
