// Progress from a plan's status: stages the scheduler cancelled because a stage they follow failed.
import { describe, expect, it } from 'vitest';
import { stagesProgress } from '../../src/progress/from-status.js';
import { TASK_STATES } from '../../src/status/aggregate.js';
import type { StageWithJobs } from '../../src/submit/overlay.js';

const zero = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<
  (typeof TASK_STATES)[number],
  number
>;
const stages: StageWithJobs[] = [
  { ...zero, name: 'extract', total: 4, succeeded: 3, failed: 1 },
  {
    ...zero,
    name: 'merge',
    total: 1,
    pending: 1,
    jobs: {
      queued: 0,
      running: 0,
      completed: 0,
      failed: 1,
      problems: [{ partition: 0, jobId: '12_0', state: 'CANCELLED', reason: 'DependencyNeverSatisfied' }],
    },
  },
];

describe('stagesProgress', () => {
  it('names the failed stage a cancelled one was after', () => {
    const p = stagesProgress(stages, [{ after: [] }, { after: ['extract'] }]);
    expect(p.map((s) => s.blockedBy)).toEqual([undefined, ['extract']]);
  });

  it('without the plan’s stages (wait --remote), shows the stages and names none', () => {
    const p = stagesProgress(stages, []);
    expect(p.map((s) => [s.name, s.failed, s.blockedBy])).toEqual([
      ['extract', 1, undefined],
      ['merge', 0, undefined],
    ]);
  });
});
