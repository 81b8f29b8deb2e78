// LSF: rendering only (no LSF here). What the golden files cannot say on their own: the array range
// and throttle, the run-limit format, the -w dependencies on job ids (split arrays included), and a
// submit.sh that really parses bsub's answer, run against a stand-in bsub that prints LSF's words.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lsfRunLimit, resourceOptions } from '../../src/runners/lsf-directives.js';
import { loadRunner } from '../../src/runners/registry.js';
import type { RenderContext, RunnerOptions } from '../../src/runners/runner.js';
import { scratch } from '../helpers.js';
import { CONTEXTS, contextFor } from './contexts.js';

const lsf = await loadRunner('lsf');

const sweep = CONTEXTS.find((c) => c.name === 'two-stage-sweep')!.ctx;
const withOptions = (options: RunnerOptions): RenderContext => contextFor(lsf, { ...sweep, options });
const file = (ctx: RenderContext, path: string) => lsf.render(ctx).find((f) => f.path === path)!.content;

describe('lsf directives', () => {
  it('writes the run limit as [hours:]minutes, rounded up', () => {
    expect(lsfRunLimit(59)).toBe('1');
    expect(lsfRunLimit(5400)).toBe('1:30');
    expect(lsfRunLimit(25 * 3600 + 1)).toBe('25:01');
  });

  it('maps resources to bsub options in a fixed order, values quoted', () => {
    expect(
      resourceOptions({
        account: 'proj',
        partition: 'short queue',
        cpusPerTask: 4,
        mem: '16G',
        time: 7200,
        gpus: 1,
        constraint: 'avx2',
        runners: { lsf: { args: ['-x', '-E', 'test -d /scratch'] } },
      }),
    ).toEqual([
      '-P proj',
      "-R 'select[avx2] rusage[mem=16G] span[hosts=1]'",
      '-W 2:00',
      '-gpu num=1',
      '-n 4',
      "-q 'short queue'",
      // The verbatim args: one word each (directives.ts), on one line.
      "-x -E 'test -d /scratch'",
    ]);
  });

  it('refuses what LSF cannot do rather than dropping it', () => {
    expect(() => resourceOptions({ qos: 'high' })).toThrow(/qos/);
    expect(() => resourceOptions({ nodes: 2 })).toThrow(/one host/);
  });
});

describe('lsf scripts', () => {
  it('numbers array elements from one, with the --max-running throttle', () => {
    const stage0 = file(withOptions({ maxRunning: 2 }), 'stage-0.lsf');
    expect(stage0).toContain('#BSUB -J "bp0-extract[1-4]%2"\n');
    expect(stage0).toMatch(
      /run-partition --index-offset "\$\{BATCHPLAN_ARRAY_OFFSET:-0\}" -- "\$plan" extract 4 auto/,
    );
    expect(stage0).not.toContain('--one-based'); // LSB_JOBINDEX is converted in partition-index.ts only
  });

  it('makes each stage wait for every array of the stages it follows, by job id', () => {
    const submit = file(withOptions({ maxArraySize: 3 }), 'submit.sh');
    expect(submit).toContain(`BATCHPLAN_ARRAY_OFFSET=0 bsub -J 'bp0-extract[1-3]' < "$here"/stage-0.lsf`);
    expect(submit).toContain(`BATCHPLAN_ARRAY_OFFSET=3 bsub -J 'bp0-extract[1-1]' < "$here"/stage-0.lsf`);
    expect(submit).toContain(
      `BATCHPLAN_ARRAY_OFFSET=0 bsub -J 'bp1-merge[1-1]' -w 'done('"\${job_0_0}"') && done('"\${job_0_1}"')' -ti < "$here"/stage-1.lsf`,
    );
  });

  it('submit.sh submits in order and passes the ids bsub prints to the -w of later stages', () => {
    const dir = scratch('batchplan-lsf-');
    const bin = join(dir, 'bin');
    const out = join(dir, 'out');
    mkdirSync(bin);
    mkdirSync(out);
    const log = join(dir, 'bsub.log');
    // A stand-in bsub: records its argv, the offset and the script's first #BSUB line, answers as LSF does.
    writeFileSync(
      join(bin, 'bsub'),
      `#!/usr/bin/env bash
n=$(( $(cat "$BSUB_LOG" 2>/dev/null | wc -l) + 101 ))
printf '%s|%s|%s\\n' "$*" "$BATCHPLAN_ARRAY_OFFSET" "$(grep -m1 '^#BSUB -J' -)" >> "$BSUB_LOG"
echo "Job <$n> is submitted to default queue <normal>."
`,
    );
    chmodSync(join(bin, 'bsub'), 0o755);
    const ctx = { ...withOptions({ maxArraySize: 3 }), planDir: join(dir, 'my plan') };
    for (const f of lsf.render(ctx)) {
      writeFileSync(join(out, f.path), f.content);
      if (f.executable) chmodSync(join(out, f.path), 0o755);
    }
    const r = spawnSync(join(out, 'submit.sh'), [], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BSUB_LOG: log },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('submitted 3 job(s): 101 102 103');
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      '-J bp0-extract[1-3]|0|#BSUB -J "bp0-extract[1-3]"',
      '-J bp0-extract[1-1]|3|#BSUB -J "bp0-extract[1-3]"',
      '-J bp1-merge[1-1] -w done(101) && done(102) -ti|0|#BSUB -J "bp1-merge[1-1]"',
    ]);
  });

  it('submit.sh kills what it submitted when a bsub fails', () => {
    const dir = scratch('batchplan-lsf-');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'bsub'),
      `#!/usr/bin/env bash
if [[ $* == *merge* ]]; then echo "Bad queue." >&2; exit 255; fi
echo "Job <7> is submitted to queue <normal>."
`,
    );
    writeFileSync(join(bin, 'bkill'), `#!/usr/bin/env bash\necho "bkill $*" >> "$BSUB_LOG"\n`);
    chmodSync(join(bin, 'bsub'), 0o755);
    chmodSync(join(bin, 'bkill'), 0o755);
    const out = join(dir, 'out');
    mkdirSync(out);
    for (const f of lsf.render({ ...withOptions({}), planDir: join(dir, 'plan') })) {
      writeFileSync(join(out, f.path), f.content);
      if (f.executable) chmodSync(join(out, f.path), 0o755);
    }
    const log = join(dir, 'bsub.log');
    const r = spawnSync(join(out, 'submit.sh'), [], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BSUB_LOG: log },
    });
    expect(r.status).toBe(1);
    expect(readFileSync(log, 'utf8')).toBe('bkill 7\n');
  });
});
