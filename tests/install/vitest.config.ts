import { defineProject } from 'vitest/config';

// Installs the packed packages with npm into fresh projects: see install.test.ts.
export default defineProject({
  test: {
    name: 'install',
    include: ['install.test.ts'],
  },
});
