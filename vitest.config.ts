import { defineConfig } from 'vitest/config';

/**
 * Suites that run engines (bash and GNU parallel scripts, Slurm, Grid Engine, PBS through Slurm,
 * sshd, Chromium, the C compiler) or many real task processes. `npm run test:unit` leaves them
 * out; `npm test` runs everything. A new suite of that kind is listed here.
 */
export const ENGINE_SUITES = [
  'test/slurm/**',
  'test/sge/**',
  'test/pbs/**',
  'test/ssh/**',
  'test/exec/**',
  'test/faults/**',
  'test/balance/**',
  'test/e2e/**',
  'test/qdo/**',
  'test/docs/**',
  'test/runners/conformance.test.ts',
  'test/runners/execute.test.ts',
  'test/runners/submit-paths.test.ts', // bash and the CLI against stand-in schedulers, ~40 processes
  'test/report/**', // headless Chromium
  'test/saturn/layout.test.ts',
  'test/saturn/sc-batch-tree.test.ts',
  'test/saturn/status-files.test.ts',
  'test/native/build.test.ts', // the C compiler
  'test/progress/pty.test.ts', // a pseudo-terminal (util-linux script) and real runs
  'test/progress/wait-slurm.test.ts',
  'test/deps/run*.test.ts', // real task processes
  'test/api/examples.test.ts', // runs the examples (tasks, and Slurm when it is up)
  'test/submit/stuck-slurm.test.ts',
  'test/submit/stuck-sge.test.ts',
  'test/deps/slurm.test.ts',
  'test/partitions/engines.test.ts', // bash, GNU parallel, Slurm, Grid Engine, PBS on Slurm
  'test/partitions/add-and-n.test.ts', // runs a generated script
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Engines (bash, parallel, slurm) are real processes on a 2-core machine: keep files sequential-ish.
    maxWorkers: 2,
    // Fails the run when a test leaves files in the checkout.
    globalSetup: ['test/setup/clean-tree.ts'],
    // Lets vitest's RPC replies in between synchronous tests (see the file).
    setupFiles: ['test/setup/yield-between-tests.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ENGINE_SUITES } },
      {
        extends: true,
        test: {
          name: 'engines',
          include: ENGINE_SUITES.map((s) => (s.endsWith('.ts') ? s : `${s}/*.test.ts`)),
        },
      },
    ],
  },
});
