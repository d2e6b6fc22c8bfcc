import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real processes and mostly wait on them (runs have fixed time limits):
    // three forks on two cores keep the suite's wall time down without starving the runs.
    pool: 'forks',
    maxWorkers: 3,
  },
});
