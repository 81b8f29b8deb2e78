// What the --runner ssh tests share: an ssh_config naming the project's sshd as hosts a, b, c, a
// two-stage plan with a hostile path, the generated script, running it, and finding what it left.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cliAwait } from '../helpers.js';
import { REMOTE_BATCHPLAN, SSHD_DIR } from './sshd.js';

/** a, b, c: root on three addresses and both ports of the project's sshd; `extra` goes first. */
export function sshConfig(dir: string, name: string, extra = '', known: string[] = []): string {
  const file = join(dir, `ssh_config.${name}`);
  writeFileSync(
    file,
    `${extra}
Host a
  HostName 127.0.0.1
  Port 2222
Host b
  HostName 127.0.0.2
  Port 2223
Host c
  HostName 127.0.0.3
  Port 2222
Host *
  User root
  IdentityFile ${join(SSHD_DIR, 'id_ed25519')}
  IdentitiesOnly yes
  UserKnownHostsFile ${[join(SSHD_DIR, 'known_hosts'), ...known].join(' ')}
`,
  );
  return file;
}

let plans = 0;
/** A plan of `tasks` tasks running `cmd` ({{i}} is the task number), then a one-task stage. Its
 *  path has a space, a $ and a quote (on every host). */
export async function makePlan(dir: string, tasks: number, cmd: string): Promise<string> {
  const spec = join(dir, `spec${++plans}.yaml`);
  writeFileSync(
    spec,
    `defaults: { nprocs: 1 }
stages:
  - name: work
    matrix: { i: { range: [0, ${tasks}] } }
    template: ${JSON.stringify(cmd)}
  - name: after
    after: [work]
    tasks:
      - { id: last, cmd: "echo done" }
`,
  );
  const plan = join(dir, `run ${plans} $x'.plan`);
  expect((await cliAwait(['plan', spec, '-o', plan])).code).toBe(0);
  return plan;
}

let scripts = 0;
/** generate-script --runner ssh into a file; `more` are further flags. */
export async function script(
  plan: string,
  n: number,
  hosts: string,
  client = 'ssh2',
  more: string[] = [],
): Promise<string> {
  const out = join(plan, '..', `run${++scripts}-${client}.sh`);
  const g = await cliAwait([
    'generate-script',
    plan,
    String(n),
    '--runner',
    'ssh',
    '--hosts',
    hosts,
    '--host-batchplan',
    REMOTE_BATCHPLAN,
    '--ssh-client',
    client,
    ...more,
    '-o',
    out,
  ]);
  expect(g.code, g.stderr).toBe(0);
  return out;
}

let marks = 0;
/** Run the script under our ssh_config. Its environment carries a mark of its own, which every
 *  local process it starts inherits (found by leftovers()). */
export function runScript(file: string, config: string, env: NodeJS.ProcessEnv = {}) {
  const mark = `batchplan-test-run-${process.pid}-${++marks}`;
  const child = spawn('bash', [file], {
    env: {
      ...process.env,
      BATCHPLAN_SSH_CONFIG: config,
      SSH_AUTH_SOCK: '',
      SSH_CONNECTION: '',
      BATCHPLAN_SSH_BACKOFF: '1,1',
      BATCHPLAN_TEST_MARK: mark,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, sig) => resolve({ code: code ?? (sig ? -1 : null), stdout, stderr })),
  );
  return { child, done, mark, output: () => ({ stdout, stderr }) };
}

/** The run ended well although `host` was dropped: its partitions went to the others and every
 *  task succeeded. Returns the tasks. */
export async function finishedAfterDrop(run: ReturnType<typeof runScript>, plan: string, host: string) {
  const r = await run.done;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(new RegExp(`${host}: .*; its partitions go to the other hosts`));
  const tasks = await tasksOf(plan);
  expect(
    tasks.filter((t) => t.state !== 'succeeded'),
    r.stderr,
  ).toEqual([]);
  return tasks;
}

export const tasksOf = async (plan: string) =>
  JSON.parse((await cliAwait(['tasks', plan, '--json'])).stdout) as {
    id: string;
    state: string;
    attempts: number;
  }[];

/** Processes (not this one) whose command line or environment names one of `marks` (a plan
 *  path: the remote side; a run's mark: the local side). */
export function leftovers(...marks: string[]): string[] {
  const found: string[] = [];
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!pid || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (marks.some((m) => cmdline.includes(m) || environ.includes(m)))
        found.push(`${pid}: ${cmdline.replace(/\0/g, ' ').slice(0, 120)}`);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

/** The pid of the live process whose command line holds every one of `words`. */
export function findProcess(...words: string[]): number | undefined {
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!pid || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (words.every((w) => cmdline.includes(w))) return pid;
    } catch {
      /* gone */
    }
  }
  return undefined;
}

export const until = async (what: () => boolean, ms = 30_000, why = 'timed out waiting') => {
  for (const end = Date.now() + ms; !what();) {
    if (Date.now() > end) throw new Error(why);
    await new Promise((r) => setTimeout(r, 100));
  }
};

export const count = (d: string, suffix: string) =>
  existsSync(d) ? readdirSync(d).filter((f) => f.endsWith(suffix)).length : 0;
