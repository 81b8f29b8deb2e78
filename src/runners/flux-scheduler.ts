// Flux: what submits a stage and what cancels it (flux batch, flux cancel). `flux batch --cc=0-(P-1)`
// submits one job per partition and prints their ids, one a line; a dependant gets
// --dependency=afterok:<id> once per job of the stages it follows. No Flux runs here: the words
// follow Flux's manual, and test/runners/submit-paths.test.ts runs them against a stand-in flux.
import { scriptWord, w, type SchedulerAdapter } from './scheduler.js';

export const fluxScheduler: SchedulerAdapter = {
  commands: ['flux'],
  submit: (sub, opts) => ({
    argv: [
      w('flux'),
      w('batch'),
      w(`--cc=${sub.offset}-${sub.offset + sub.size - 1}`),
      ...opts.after.map(({ job }) => ({ eachJob: job, prefix: '--dependency=afterok:' })),
      scriptWord(sub),
    ],
  }),
  // Job ids: f58 (`ƒ2V6sc3Xd`), or decimal; one a line, one per partition.
  jobId: { pattern: '^((ƒ|f)?[A-Za-z0-9]+)$', lines: 'each' },
  cancel: { argv: ['flux', 'cancel'] },
};
