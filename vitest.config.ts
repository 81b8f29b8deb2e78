import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Engines (bash, parallel, slurm) are real processes on a 2-core machine: keep files sequential-ish.
    maxWorkers: 2,
  },
});
