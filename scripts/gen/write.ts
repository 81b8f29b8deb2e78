// `npm run gen:schemas` / `npm run gen:golden`: write generated files, then format them as the
// repository does. Review the diff like code.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Write `files` (paths from the root); `replace`: directories to empty first. */
export function writeFiles(files: Record<string, string>, replace: string[] = []): void {
  for (const dir of replace) rmSync(join(ROOT, dir), { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(ROOT, path)), { recursive: true });
    writeFileSync(join(ROOT, path), content);
  }
  const formatted = Object.keys(files).filter((p) => /\.(ts|json)$/.test(p));
  if (formatted.length)
    execFileSync('npx', ['prettier', '--write', ...formatted], { cwd: ROOT, stdio: 'ignore' });
  process.stderr.write(`wrote ${Object.keys(files).length} file(s)\n`);
}
