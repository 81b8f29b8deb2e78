// What `npm run gen:schemas` writes: files derived from the zod schemas and the runner registry, so
// that run-partition reads them without loading zod or every runner's descriptor, and the runner
// lists of the README and docs/runners/. Tests check that
// the committed files equal these.
import { z } from 'zod';
import { planFileSchema, taskRecordSchema } from '../../src/plan/format-schema.js';
import { RUNNERS } from '../../src/runners/registry.js';
import { specJsonSchema } from '../../src/spec/json-schema.js';
import { readmeWithRunners, runnerDocsWithPages } from './runner-docs.js';

const json = (value: unknown) => JSON.stringify(value, null, 2);

export function formatJsonSchemaTs(): string {
  return `// Generated from format-schema.ts by \`npm run gen:schemas\`: do not edit.
import type { JsonSchema } from '../util/json-check.js';

export const PLAN_FILE_JSON_SCHEMA: JsonSchema = ${json(z.toJSONSchema(planFileSchema))};

export const TASK_RECORD_JSON_SCHEMA: JsonSchema = ${json(z.toJSONSchema(taskRecordSchema))};
`;
}

export const specSchemaJson = (): string => json(specJsonSchema()) + '\n';

/** The index variables of every runner, in registry order (run-partition's `auto`). */
export const runnerIndexVariables = () => RUNNERS.flatMap((r) => r.capabilities.indexVariables ?? []);

export function indexVariablesTs(): string {
  return `// Generated from the runners' descriptors by \`npm run gen:schemas\`: do not edit. run-partition reads
// this table instead of loading every descriptor.
import type { IndexVariable } from '../runners/descriptor.js';

export const RUNNER_INDEX_VARIABLES: readonly IndexVariable[] = ${json(runnerIndexVariables())};
`;
}

/** Every generated file, by path from the repository root. */
export const GENERATED: Record<string, () => string> = {
  'src/plan/format-json-schema.ts': formatJsonSchemaTs,
  'schema/spec.schema.json': specSchemaJson,
  'src/exec/index-variables.ts': indexVariablesTs,
  // The runner table and the list of runner pages (sections between markers; runner-docs.ts).
  'README.md': readmeWithRunners,
  'docs/runners/README.md': runnerDocsWithPages,
};
