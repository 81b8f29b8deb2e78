// Make the directories below a plan directory, refusing symbolic links among them: in a
// group-writable plan, `status` or `results` replaced by a link would send every write elsewhere.
import { lstatSync, mkdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { BatchplanError } from '../errors.js';
import { ioError } from './io-error.js';

/** Create `dir` (inside `root`) and its missing parents below `root`; none may be a symlink. */
export function ensureRealDir(root: string, dir: string): void {
  let at = root;
  for (const part of relative(root, dir).split(sep).filter(Boolean)) {
    at = join(at, part);
    try {
      mkdirSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(at, 'cannot create', err);
    }
    const st = lstatSync(at);
    if (st.isSymbolicLink())
      throw new BatchplanError(
        'E_IO',
        `${at} is a symbolic link; run-partition writes only into real directories of the plan`,
        'Remove the link (and check who can write to the plan directory), then run again.',
      );
    if (!st.isDirectory())
      throw new BatchplanError('E_IO', `${at} is not a directory`, 'Move it away and run again.');
  }
}
