import { openTransport, type RemoteFlags } from '../remote/remote-flags.js';
import { remoteSetup } from '../remote/setup.js';
import { shellQuote } from '../util/shell-quote.js';
import { note, printJson } from './output.js';

export default async function setup(
  host: string,
  opts: Omit<RemoteFlags, 'remote'> & { force?: boolean; json?: boolean },
): Promise<number> {
  const t = await openTransport({ ...opts, remote: host });
  try {
    const r = await remoteSetup(t, opts.force === true);
    if (opts.json) printJson(r);
    else {
      note(
        r.installed
          ? `installed batchplan ${r.version} in ${r.dir} on ${r.host}`
          : `batchplan ${r.version} is already in ${r.dir} on ${r.host}`,
      );
      process.stdout.write(
        `--remote-batchplan ${shellQuote(r.command)} --batchplan-command ${shellQuote(r.command)}\n`,
      );
    }
    return 0;
  } finally {
    await t.close();
  }
}
