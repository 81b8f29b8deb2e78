// run-hosts --sync: hosts without a shared file system. Before a stage each host gets its own copy
// of the plan (the plan files once, then the journals it lacks, so that it skips what succeeded and
// sees the earlier stages' results its tasks require); after each of its partitions the journals
// and logs that grew there come back here. Journal and log files are append-only and one per
// run-partition process, so "what grew" is exact: bytes past our copy's size are appended here.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, posix } from 'node:path';
import { BatchplanError } from '../errors.js';
import { PLAN_FILE } from '../plan/format.js';
import { STATUS_DIR, parseJournalName } from '../status/journal-format.js';
import { shellQuote } from '../util/shell-quote.js';
import { expandableWord } from './remote-dir.js';
import type { RemoteTransport } from './remote-transport.js';
import { uploadTree } from './upload-plan.js';

/** A stage directory's journal or log, as `stage-<k>/<name>`: the only files that travel back. */
const STATUS_FILE = /^stage-\d+\/[A-Za-z0-9_.-]+\.(jsonl|log)$/;
const isStatusFile = (rel: string) =>
  STATUS_FILE.test(rel) && parseJournalName(posix.basename(rel).replace(/\.log$/, '.jsonl')) !== undefined;

/** Where a host keeps its copy: under `base` (expanded by its shell), named after this plan here
 *  and after the host (the same plan from the same place lands in the same copy, so a second run
 *  reuses it; two hosts whose `base` is one shared directory never replace each other's copy). */
export async function syncTarget(t: RemoteTransport, base: string, planDir: string, planBytes: Buffer) {
  const r = await t.exec(`mkdir -p -- ${expandableWord(base)} && cd -- ${expandableWord(base)} && pwd -P`, {
    idempotent: true,
  });
  const dir = r.stdout.toString('utf8').replace(/\n$/, '');
  if (r.exitCode !== 0 || !dir.startsWith('/'))
    throw new BatchplanError(
      'E_IO',
      `--sync ${base} is not usable on ${t.where}: ${r.stderr.toString('utf8').trim() || `exit ${r.exitCode}`}`,
      `Choose a directory ${t.user} can create and write there (~ and $VARS are expanded by its shell).`,
    );
  const id = createHash('sha256')
    .update(`${hostname()}\0${planDir}\0${t.where}\0`)
    .update(planBytes)
    .digest('hex');
  const name = basename(planDir)
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^\.+/, '');
  return posix.join(dir, `${name || 'plan'}-${id.slice(0, 12)}`);
}

/** Sizes of the journals and logs under `<dir>/status` there, in one command. Only those are
 *  measured: they are never removed, while a running partition's `.reserve` file comes and goes
 *  (one listed by find and gone before wc reads it failed the whole listing). */
async function remoteSizes(t: RemoteTransport, dir: string): Promise<Map<string, number>> {
  const q = shellQuote(posix.join(dir, STATUS_DIR));
  const names = `\\( -name '*.jsonl' -o -name '*.log' \\)`;
  const r = await t.exec(`cd -- ${q} 2>/dev/null || exit 0; find . -type f ${names} -exec wc -c {} +`, {
    idempotent: true,
  });
  if (r.exitCode !== 0)
    throw new BatchplanError(
      'E_IO',
      `cannot list ${dir}/${STATUS_DIR} on ${t.where}: ${r.stderr.toString().trim()}`,
    );
  const sizes = new Map<string, number>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const m = /^\s*(\d+)\s+\.\/(.+)$/.exec(line);
    if (m && isStatusFile(m[2]!)) sizes.set(m[2]!, Number(m[1]));
  }
  return sizes;
}

function localSizes(planDir: string, suffix: string): Map<string, number> {
  const sizes = new Map<string, number>();
  const status = join(planDir, STATUS_DIR);
  if (!existsSync(status)) return sizes;
  for (const stage of readdirSync(status))
    if (/^stage-\d+$/.test(stage))
      for (const f of readdirSync(join(status, stage))) {
        const rel = `${stage}/${f}`;
        if (f.endsWith(suffix) && isStatusFile(rel)) sizes.set(rel, statSync(join(status, rel)).size);
      }
  return sizes;
}

/** Make `remote` a copy of the plan at `planDir` here: the plan files (when its plan.json is not
 *  ours; written beside it and renamed in), then every journal it lacks or has shorter. */
export async function pushPlan(
  t: RemoteTransport,
  planDir: string,
  planBytes: Buffer,
  remote: string,
): Promise<{ planCopied: boolean; journals: number }> {
  const there = await t.readFile(posix.join(remote, PLAN_FILE)).catch(() => undefined);
  const planCopied = !there?.equals(planBytes);
  if (planCopied) {
    const tmp = `${remote}.tmp-${process.pid}-${Date.now().toString(36)}`;
    try {
      await uploadTree(t, planDir, tmp, (rel) => rel !== STATUS_DIR && rel !== 'results');
      const r = await t.exec(
        `rm -rf -- ${shellQuote(remote)} && mv -T -- ${shellQuote(tmp)} ${shellQuote(remote)}`,
      );
      if (r.exitCode !== 0)
        throw new BatchplanError(
          'E_IO',
          `cannot move the plan copy into ${remote} on ${t.where}: ${r.stderr.toString().trim()}`,
        );
    } catch (err) {
      await t.exec(`rm -rf -- ${shellQuote(tmp)}`).catch(() => undefined);
      throw err;
    }
  }
  const theirs = planCopied ? new Map<string, number>() : await remoteSizes(t, remote);
  let journals = 0;
  const made = new Set<string>();
  for (const [rel, size] of localSizes(planDir, '.jsonl')) {
    if ((theirs.get(rel) ?? -1) >= size) continue;
    const stageDir = posix.join(remote, STATUS_DIR, posix.dirname(rel));
    if (!made.has(stageDir)) await t.mkdir(stageDir);
    made.add(stageDir);
    await t.writeFile(posix.join(remote, STATUS_DIR, rel), readFileSync(join(planDir, STATUS_DIR, rel)));
    journals++;
  }
  return { planCopied, journals };
}

/** Bring back what grew in the copy's journals and logs since the last call: the bytes past the
 *  size of ours, appended here. Returns the number of files that grew. */
export async function pullStatus(t: RemoteTransport, remote: string, planDir: string): Promise<number> {
  const ours = new Map([...localSizes(planDir, '.jsonl'), ...localSizes(planDir, '.log')]);
  let grew = 0;
  // Logs first: a journal record that came back finds the output it points into.
  const theirs = [...(await remoteSizes(t, remote))].sort(
    ([a], [b]) => Number(b.endsWith('.log')) - Number(a.endsWith('.log')),
  );
  for (const [rel, size] of theirs) {
    const have = ours.get(rel) ?? 0;
    if (size <= have) continue;
    const bytes = await t.readFrom(posix.join(remote, STATUS_DIR, rel), have);
    const local = join(planDir, STATUS_DIR, rel);
    mkdirSync(join(local, '..'), { recursive: true });
    appendFileSync(local, bytes);
    grew++;
  }
  return grew;
}
