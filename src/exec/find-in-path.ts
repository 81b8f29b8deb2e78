// A bare command name (`shell: bash`) looked up in a given PATH, as Node's spawn looks up a task's
// shell in the task's own PATH. Unresolved names are returned as they are, to fail plainly later.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export function findInPath(name: string, path: string | undefined, cache: Map<string, string>): string {
  if (name.includes('/')) return name;
  const key = `${path ?? ''}\0${name}`;
  let found = cache.get(key);
  if (found === undefined) {
    found = name;
    for (const dir of (path ?? '').split(':').filter(Boolean)) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        found = join(dir, name);
        break;
      } catch {
        /* not here */
      }
    }
    cache.set(key, found);
  }
  return found;
}
