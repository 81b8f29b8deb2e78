// One submission path: for every scheduler runner, the rendered submit.sh and `batchplan submit` run
// the same commands, with the same dependencies on the same job ids, and write the same record.
// Stand-in schedulers on PATH (one script under every command's name) record each call and answer as
// the real ones do (the job id formats of fixtures/<scheduler>/ and the manuals); a third of the
// cases refuse a submission midway, so the cancelling of what was already submitted is compared too.
// LSF and Flux (capabilities.canSubmit false: no watching them) are submitted through submitPlan,
// the library function behind `batchplan submit`.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFromFlags } from '../../src/commands/generate-script.js';
import type { RunnerFlags } from '../../src/commands/runner-flags.js';
import { loadRunner } from '../../src/runners/registry.js';
import { parseJobIds } from '../../src/runners/submit-steps.js';
import { readSubmissions } from '../../src/submit/record.js';
import { submitPlan } from '../../src/submit/submit.js';
import { localTransport } from '../../src/submit/transport.js';
import { cli, FIXTURES, scratch } from '../helpers.js';
import { CONTEXTS, contextFor } from './contexts.js';

const dir = scratch('batchplan-submit-paths-');
const bin = join(dir, 'bin');

const FAKE = join(import.meta.dirname, 'fake-scheduler.sh');

const SPEC = `
stages:
  - name: extract
    template: "echo {{k}}"
    matrix: {k: {range: [0, 10]}}
  - name: merge
    after: [extract]
    template: "echo {{k}}"
    matrix: {k: {range: [0, 3]}}
  - name: report
    after: [extract, merge]
    template: "echo report {{k}}"
    matrix: {k: {range: [0, 1]}}
`;

// Each merge needs its group's extracts, groups aligned with the partitions (N = 5): a scheduler
// that pairs array elements (sge, lsf) holds element by element, split arrays (max 2) included.
const REQUIRES_SPEC = `
stages:
  - name: extract
    template: "echo {{g}} {{p}}"
    matrix: {g: {range: [0, 5]}, p: {range: [0, 2]}}
  - name: merge
    template: "echo {{g}}"
    matrix: {g: {range: [0, 5]}}
    requires: [{stage: extract, match: {g: "{{g}}"}}]
`;

interface Case {
  name: string;
  runner: string;
  style: string;
  commands: string[];
  flags: string[];
  /** Whether `batchplan submit` takes the runner (else: submitPlan, as it would). */
  cli: boolean;
}

const CASES: Case[] = [
  {
    name: 'slurm',
    runner: 'slurm',
    style: 'slurm',
    commands: ['sbatch', 'scancel', 'scontrol'],
    flags: ['--max-array-size', '2', '--max-running', '3', '--time', '10'],
    cli: true,
  },
  {
    name: 'pbs pro',
    runner: 'pbs',
    style: 'pbs',
    commands: ['qsub', 'qdel', 'qstat'],
    flags: ['--flavor', 'pro', '--max-array-size', '2', '--max-running', '3'],
    cli: true,
  },
  {
    name: 'pbs torque',
    runner: 'pbs',
    style: 'pbs',
    commands: ['qsub', 'qdel', 'qstat'],
    flags: ['--flavor', 'torque', '--max-array-size', '2'],
    cli: true,
  },
  {
    name: 'pbs torque, bare ids (Slurm’s wrappers)',
    runner: 'pbs',
    style: 'pbs-bare',
    commands: ['qsub', 'qdel', 'qstat'],
    flags: ['--flavor', 'torque', '--max-array-size', '2'],
    cli: true,
  },
  {
    name: 'sge',
    runner: 'sge',
    style: 'sge',
    commands: ['qsub', 'qdel', 'qstat', 'qconf'],
    flags: [
      '--max-array-size',
      '2',
      '--max-running',
      '3',
      '--account',
      "lab's $(touch pwned)",
      '--time',
      '10',
    ],
    cli: true,
  },
  {
    name: 'lsf',
    runner: 'lsf',
    style: 'lsf',
    commands: ['bsub', 'bkill'],
    flags: ['--max-array-size', '2', '--max-running', '3'],
    cli: false,
  },
  { name: 'flux', runner: 'flux', style: 'flux', commands: ['flux'], flags: [], cli: false },
];

/** The flags as commander would hand them over (for submitPlan). */
function runnerFlags(runner: string, flags: string[]): RunnerFlags {
  const out: RunnerFlags = { runner };
  for (let k = 0; k < flags.length; k += 2)
    out[flags[k]!.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = flags[k + 1];
  return out;
}

const savedPath = process.env.PATH;
beforeAll(() => {
  mkdirSync(bin);
  writeFileSync(join(bin, 'fake-scheduler'), readFileSync(FAKE));
  chmodSync(join(bin, 'fake-scheduler'), 0o755);
});
afterAll(() => {
  process.env.PATH = savedPath;
});

/** Each recorded call, the scripts' directory written as <scripts>. */
function calls(log: string, scriptsDir: string): string[] {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  // Only submitting and cancelling: `batchplan submit` also asks for the site's array limit.
  return text
    .split(scriptsDir)
    .join('<scripts>')
    .split(/\n(?=call )/)
    .map((c) => c.trim())
    .filter((c) => !/^call (scontrol|qconf|qstat) /.test(c));
}

describe.each(CASES)('submit.sh and batchplan submit: $name', (c) => {
  const root = join(dir, c.name.replace(/[^a-z]+/g, '-'));
  const path = join(root, 'bin');
  const plan = join(root, 'the.plan');
  const requiresPlan = join(root, 'requires.plan');
  const env = (log: string, failAt?: number) => ({
    PATH: `${path}:${savedPath}`,
    FAKE_LOG: log,
    FAKE_STYLE: c.style,
    FAKE_FAIL_AT: String(failAt ?? 0),
  });

  beforeAll(() => {
    mkdirSync(path, { recursive: true });
    for (const name of c.commands) spawnSync('ln', ['-s', join(bin, 'fake-scheduler'), join(path, name)]);
    writeFileSync(join(root, 'spec.yaml'), SPEC);
    const r = cli(['plan', join(root, 'spec.yaml'), '-o', plan]);
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(join(root, 'requires.yaml'), REQUIRES_SPEC);
    const q = cli(['plan', join(root, 'requires.yaml'), '-o', requiresPlan]);
    expect(q.code, q.stderr).toBe(0);
  });

  /** Run submit.sh (rendered by generate-script) and then the library/CLI submission; their calls. */
  async function both(tag: string, failAt?: number, planDir = plan) {
    const out = join(root, `generated-${tag}`);
    const r = cli(['generate-script', planDir, '5', '--runner', c.runner, ...c.flags, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const shLog = join(root, `sh-${tag}.log`);
    const sh = spawnSync('bash', [join(out, 'submit.sh')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...env(shLog, failAt) },
    });

    const tsLog = join(root, `ts-${tag}.log`);
    let tsCode: number;
    let scripts: string;
    if (c.cli) {
      const s = cli(['submit', planDir, '5', '--runner', c.runner, ...c.flags, '--json'], {
        env: env(tsLog, failAt),
      });
      tsCode = s.code ?? -1;
      const dirs = readdirSync(join(planDir, 'scripts'))
        .filter((d) => d.endsWith(`-${c.runner}`))
        .sort();
      scripts = join(planDir, 'scripts', dirs.at(-1)!);
      if (s.code === 0) expect((JSON.parse(s.stdout) as { scripts: string }).scripts).toBe(scripts);
      rmSync(join(planDir, 'scripts'), { recursive: true, force: true });
    } else {
      // In-process: the stand-ins must be first on this process's PATH.
      Object.assign(process.env, env(tsLog, failAt));
      const { ctx, runner } = await contextFromFlags(planDir, '5', runnerFlags(c.runner, c.flags));
      scripts = join(root, `scripts-${tag}`);
      mkdirSync(scripts);
      for (const f of runner.render(ctx)) writeFileSync(join(scripts, f.path), f.content);
      tsCode = await submitPlan(localTransport, runner, ctx, scripts).then(
        () => 0,
        () => 1,
      );
      process.env.PATH = savedPath;
    }
    return {
      sh: { code: sh.status, stderr: sh.stderr, calls: calls(shLog, out) },
      ts: { code: tsCode, calls: calls(tsLog, scripts) },
    };
  }

  it('run the same commands, each stage depending on the ids of the arrays it follows', async () => {
    const { sh, ts } = await both('ok');
    expect(sh.code, sh.stderr).toBe(0);
    expect(ts.code).toBe(0);
    expect(sh.calls).toEqual(ts.calls);
    // Not trivially equal: every stage is there, and the last depends on the ids of both before it.
    expect(sh.calls.length).toBeGreaterThanOrEqual(3);
    const last = sh.calls.at(-1)!;
    expect(last).toMatch(c.runner === 'flux' ? /afterok:ƒ100x0/ : /\b100\b/);
    expect(last).toMatch(c.runner === 'flux' ? /afterok:ƒ101x0/ : /\b10[1-9]\b/);
  });

  it('a stage needed task by task: the same commands, element by element where the scheduler pairs them', async () => {
    const { sh, ts } = await both('requires', undefined, requiresPlan);
    expect(sh.code, sh.stderr).toBe(0);
    expect(sh.calls).toEqual(ts.calls);
    // extract and merge in arrays of 2, 2 and 1 (ids 100-102, 103-105): each merge array waits for
    // the extract array of the same partitions only.
    const merges = sh.calls.slice(3);
    if (c.runner === 'sge' || c.runner === 'lsf') expect(merges).toHaveLength(3);
    merges.forEach((call, k) => {
      if (c.runner === 'sge') {
        expect(call).toContain(`\n  -hold_jid_ad\n  ${100 + k}\n`);
        expect(call).not.toContain('-hold_jid\n');
      }
      if (c.runner === 'lsf') expect(call).toContain(`\n  -w\n  ended(${100 + k}[*])\n`);
    });
  });

  it('cancel the same jobs when a submission is refused midway', async () => {
    const { sh, ts } = await both('refused', 3);
    expect(sh.code).toBe(1);
    expect(ts.code).not.toBe(0);
    expect(sh.calls).toEqual(ts.calls);
    expect(sh.calls.at(-1)).toMatch(/^call (scancel|qdel|bkill|flux)/);
    expect(sh.calls.at(-1)).toContain('100');
  });

  it.runIf(c.cli)('write the same submission record', async () => {
    rmSync(join(plan, 'submissions'), { recursive: true, force: true });
    await both('record');
    const records = readSubmissions(plan).map(({ submittedAt, file, ...rest }) => {
      expect(Date.parse(submittedAt)).not.toBeNaN();
      expect(file).toMatch(/\d{8}T\d{6}Z-\d+\.json$/);
      return rest;
    });
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual(records[1]);
    expect(records[0]!.jobIds[0]).toMatch(/^100/);
    // Every value stayed one word: nothing ran that a quote or $(…) in a flag could have started.
    expect(readdirSync(root).filter((f) => f.includes('pwned'))).toEqual([]);
  });
});

// submit.sh reads job ids with a bash function rendered from the scheduler's JobIdFormat; it must
// take what parseJobIds takes and refuse what it refuses, on the recorded and documented outputs.
describe('job ids: the rendered job_ids and parseJobIds agree', () => {
  const fixture = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');
  const OUTPUTS: Record<string, string[]> = {
    slurm: [
      fixture('slurm/sbatch-parsable-array.txt'),
      fixture('slurm/sbatch-invalid-partition.stdout.txt'),
      '1234;cluster2\n',
      '12\n13\n',
      '',
    ],
    pbs: [
      fixture('pbs/wrapper-qsub-array.stdout.txt'),
      fixture('pbs/manual-pro-qsub-array.stdout.txt'),
      fixture('pbs/manual-pro-qsub-plain.stdout.txt'),
      fixture('pbs/manual-torque-qsub-array.stdout.txt'),
      fixture('pbs/wrapper-qsub-invalid-partition.stdout.txt'),
      '1234[3].pbs01\n',
      '  77.srv  \n\n',
    ],
    sge: [
      fixture('sge/qsub-terse-array.txt'),
      fixture('sge/qsub-terse-single.txt'),
      fixture('sge/qsub-unknown-queue.stdout.txt'),
      'warning: no suitable queues\n15\n',
    ],
    lsf: [
      'Job <7> is submitted to queue <normal>.\n',
      'Job <8> is submitted to default queue <x>.',
      'Bad queue.\n',
      '',
    ],
    flux: ['ƒ2V6sc3Xd\nƒ2V6sc3Xe\n', '1234\n', 'ƒ2V6 x\n', ''],
  };
  const sample = CASES.filter((c, k) => CASES.findIndex((d) => d.runner === c.runner) === k);

  it.each(sample)('$runner', async (c) => {
    const runner = await loadRunner(c.runner);
    const ctx = contextFor(runner, CONTEXTS.find((x) => x.name === 'two-stage-sweep')!.ctx);
    const script = runner.render(ctx).find((f) => f.path === 'submit.sh')!.content;
    const fn = /^job_ids\(\) \{\n[\s\S]*?\n\}\n/m.exec(script)![0];
    for (const out of OUTPUTS[c.runner]!) {
      const r = spawnSync('bash', ['-c', `${fn}\njob_ids "$1"`, 'bash', out], { encoding: 'utf8' });
      let expected: string[] | undefined;
      try {
        expected = parseJobIds(runner.scheduler!.jobId, out);
      } catch {
        expected = undefined;
      }
      expect(r.status === 0 ? r.stdout.trim().split('\n') : undefined, JSON.stringify(out)).toEqual(expected);
    }
  });
});
