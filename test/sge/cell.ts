// Whether the local Grid Engine cell (scripts/sge/up.sh) takes jobs; CI requires it.
import { spawnSync } from 'node:child_process';

export function cellUp(): boolean {
  const up = spawnSync('qstat', ['-f', '-q', 'all.q'], { encoding: 'utf8' });
  const ok = up.status === 0 && /^all\.q@\S+\s+\S+\s+\d+\/\d+\/\d+\s+\S+\s+\S+\s*$/m.test(up.stdout);
  if (!ok && process.env.BATCHPLAN_REQUIRE_ENGINES === '1')
    throw new Error(
      `the Grid Engine cell is not running (qstat -f: ${up.error?.message ?? (up.stderr || up.stdout)}); start it with scripts/sge/up.sh`,
    );
  return ok;
}
