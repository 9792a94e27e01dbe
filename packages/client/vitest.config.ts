import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@herald/source'] },
  ssr: { resolve: { conditions: ['@herald/source'] } },
  test: {
    include: ['tests/**/*.test.ts'],
  },
});
