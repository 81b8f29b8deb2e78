// The companions of --remote (--remote-dir, --remote-batchplan, --ssh, --accept-new-host-key)
// given without it are refused, not silently ignored; generate-script's hint names the flag the
// ssh runner's hosts take instead.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { cliAwait, FIXTURES, scratch } from '../helpers.js';

const dir = scratch('batchplan-remote-flags-');

describe('--remote companions without --remote', () => {
  it('generate-script --accept-new-host-key is refused, naming --host-accept-new-key', async () => {
    const plan = join(dir, 'p.plan');
    expect((await cliAwait(['plan', join(FIXTURES, 'examples', 'sweep.yaml'), '-o', plan])).code).toBe(0);
    const args = ['generate-script', plan, '2', '--runner', 'ssh', '--hosts', 'a', '--accept-new-host-key'];
    const r = await cliAwait(args, { env: { BATCHPLAN_REMOTE: '' } });
    expect(r.code).toBe(EXIT_CODES.E_USAGE);
    expect(r.stderr).toContain('--accept-new-host-key applies only with --remote');
    expect(r.stderr).toContain('--host-accept-new-key');
    expect(r.stdout).toBe('');
    const ok = await cliAwait([...args.slice(0, -1), '--host-accept-new-key'], {
      env: { BATCHPLAN_REMOTE: '' },
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('--accept-new-host-key');
  });

  it.each([
    ['--remote-dir', 'x'],
    ['--remote-batchplan', 'bp'],
    ['--ssh', 'openssh'],
  ])('status %s is refused', async (flag, value) => {
    const r = await cliAwait(['status', join(dir, 'p.plan'), flag, value], { env: { BATCHPLAN_REMOTE: '' } });
    expect(r.code).toBe(EXIT_CODES.E_USAGE);
    expect(r.stderr).toContain(`${flag} applies only with --remote`);
  });
});
