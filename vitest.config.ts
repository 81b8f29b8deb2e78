import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Engines (bash, parallel, slurm) are real processes on a 2-core machine: keep files sequential-ish.
    maxWorkers: 2,
    // Fails the run when a test leaves files in the checkout.
    globalSetup: ['test/setup/clean-tree.ts'],
  },
});
