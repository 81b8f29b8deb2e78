// `plan --remote`: the spec is read and compiled here (its relative files are ours), the plan
// directory is written there: uploaded over the transport into a hidden temp directory beside
// the target, then renamed into place, so a reader there sees no plan or the whole plan.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { posix } from 'node:path';
import { BatchplanError } from '../errors.js';
import type { PlanFile } from '../plan/format-schema.js';
import { shellQuote } from '../util/shell-quote.js';
import { resolveRemoteDir } from './remote-dir.js';
import type { RemoteTransport } from './remote-transport.js';

export async function uploadPlan(
  t: RemoteTransport,
  opts: { remoteDir?: string; output: string; force: boolean },
  compile: (localDir: string) => Promise<PlanFile>,
): Promise<{ dir: string; file: PlanFile }> {
  const base = await resolveRemoteDir(t, opts.remoteDir, true);
  const target = posix.resolve(base, opts.output);
  const q = shellQuote(target);
  // Same rule as a local plan: --force replaces a plan, never an unrelated directory.
  const probe = await t.exec(
    `if [ ! -e ${q} ]; then echo none; elif [ -e ${q}/plan.json ] || [ -z "$(ls -A ${q} 2>/dev/null)" ]; then echo plan; else echo other; fi`,
    { idempotent: true },
  );
  const found = probe.stdout.toString().trim();
  if (found !== 'none' && !opts.force)
    throw new BatchplanError(
      'E_PLAN_EXISTS',
      `${target} already exists on ${t.where}`,
      'Pass --force to replace it, or choose another -o.',
    );
  if (found === 'other')
    throw new BatchplanError(
      'E_PLAN_EXISTS',
      `${target} on ${t.where} exists and is not a plan directory; refusing to replace it even with --force`,
    );

  const local = mkdtempSync(join(tmpdir(), 'batchplan-upload-'));
  try {
    const file = await compile(join(local, 'plan'));
    const tmp = posix.join(
      posix.dirname(target),
      `.${posix.basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}`,
    );
    try {
      await uploadTree(t, join(local, 'plan'), tmp);
      const old = `${tmp}.old`;
      const swap =
        found === 'none'
          ? `mv -T -- ${shellQuote(tmp)} ${q}`
          : `mv -T -- ${q} ${shellQuote(old)} && mv -T -- ${shellQuote(tmp)} ${q} && rm -rf -- ${shellQuote(old)}`;
      const r = await t.exec(swap);
      if (r.exitCode !== 0)
        throw new BatchplanError(
          'E_IO',
          `cannot move the plan into ${target} on ${t.where}: ${r.stderr.toString().trim()}`,
        );
    } catch (err) {
      await t.exec(`rm -rf -- ${shellQuote(tmp)}`).catch(() => undefined);
      throw err;
    }
    return { dir: target, file };
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
}

/** Copy a directory tree there, file by file (`keep` filters the top-level names). */
export async function uploadTree(
  t: RemoteTransport,
  from: string,
  to: string,
  keep: (name: string) => boolean = () => true,
): Promise<void> {
  await t.mkdir(to);
  for (const name of readdirSync(from)) {
    if (!keep(name)) continue;
    const src = join(from, name);
    const st = statSync(src);
    if (st.isDirectory()) await uploadTree(t, src, posix.join(to, name));
    else await t.writeFile(posix.join(to, name), await readFile(src), st.mode & 0o777);
  }
}
