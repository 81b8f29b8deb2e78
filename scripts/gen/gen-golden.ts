// `npm run gen:golden`: render every runner × context of test/runners/contexts.ts into
// test/golden/<runner>/<context>/ (stale files removed). Review the diff like code.
import { loadRunners } from '../../src/runners/registry.js';
import { CONTEXTS, contextFor } from '../../test/runners/contexts.js';
import { writeFiles } from './write.js';

const files: Record<string, string> = {};
for (const runner of await loadRunners())
  for (const { name, ctx } of CONTEXTS)
    for (const f of runner.render(contextFor(runner, ctx)))
      files[`test/golden/${runner.name}/${name}/${f.path}`] = f.content;
writeFiles(files, ['test/golden']);
