// schema/spec.schema.json is generated from the zod spec schema (`batchplan schema`) for editors.
// It must not drift from the schema the loader uses, and it must accept the specs we ship.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { specJsonSchema } from '../../src/spec/json-schema.js';
import { specSchema } from '../../src/spec/schema.js';
import { cli, FIXTURES, ROOT } from '../helpers.js';

const FILE = join(ROOT, 'schema', 'spec.schema.json');
const REGENERATE = 'regenerate it with `npm run gen:schemas`';

const committedText = readFileSync(FILE, 'utf8');
const committed = JSON.parse(committedText) as Record<string, unknown>;
/** The committed JSON Schema, interpreted by a JSON Schema reader (not the zod schema it came from). */
const validator = z.fromJSONSchema(committed as Parameters<typeof z.fromJSONSchema>[0]);

const sweep = parse(readFileSync(join(FIXTURES, 'examples', 'sweep.yaml'), 'utf8')) as Record<
  string,
  unknown
>;

describe('schema/spec.schema.json', () => {
  it(`equals what specJsonSchema() produces today (${REGENERATE})`, () => {
    expect(committed).toEqual(specJsonSchema());
    expect(committedText, REGENERATE).toBe(JSON.stringify(specJsonSchema(), null, 2) + '\n');
  });

  it('is what `batchplan schema` prints', () => {
    const r = cli(['schema']);
    expect(r.code).toBe(0);
    expect(r.stdout, REGENERATE).toBe(committedText);
  });

  it('is a titled draft 2020-12 schema of an object with stages', () => {
    expect(committed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(committed.title).toBe('batchplan spec');
    expect(committed.type).toBe('object');
    expect(committed.required).toEqual(['stages']);
    expect(committed.additionalProperties).toBe(false);
  });

  it('accepts the example sweep.yaml', () => {
    const r = validator.safeParse(sweep);
    expect(r.error?.issues).toBeUndefined();
    expect(r.success).toBe(true);
  });

  it('refuses what the loader refuses, and accepts what it accepts', () => {
    const edit = (
      f: (s: { defaults: Record<string, unknown>; stages: Record<string, unknown>[] }) => void,
    ) => {
      const copy = structuredClone(sweep) as {
        defaults: Record<string, unknown>;
        stages: Record<string, unknown>[];
      };
      f(copy);
      return copy;
    };
    const cases: [string, unknown, boolean][] = [
      ['the sweep', sweep, true],
      ['a $schema key for editors', { ...sweep, $schema: './schema/spec.schema.json' }, true],
      ['a minimal spec', { stages: [{ name: 'a', tasks: [{ cmd: 'x' }] }] }, true],
      ['an unknown stage key', edit((s) => (s.stages[0]!.colour = 'red')), false],
      ['an unknown top-level key', { ...sweep, extra: 1 }, false],
      ['a stage without a name', edit((s) => delete s.stages[1]!.name), false],
      ['a task without cmd', { stages: [{ name: 'a', tasks: [{ id: 'x' }] }] }, false],
      ['no stages', { stages: [] }, false],
      ['fractional retries', edit((s) => (s.defaults.retries = 1.5)), false],
      ['negative retries', edit((s) => (s.defaults.retries = -1)), false],
      ['a bad env name', edit((s) => (s.defaults.env = { '1X': 'a' })), false],
      [
        'a range of one number',
        edit((s) => ((s.stages[0]!.matrix as { group: unknown }).group = { range: [1] })),
        false,
      ],
      [
        'a range with a step',
        edit((s) => ((s.stages[0]!.matrix as { group: unknown }).group = { range: [0, 10, 2] })),
        true,
      ],
      [
        'a zero step',
        edit((s) => ((s.stages[0]!.matrix as { group: unknown }).group = { range: [0, 10, 0] })),
        false,
      ],
      ['a Saturn batch file', { runs: [{ cmd: 'x' }] }, false],
    ];
    for (const [what, doc, ok] of cases) {
      expect(specSchema.safeParse(doc).success, `zod schema: ${what}`).toBe(ok);
      expect(validator.safeParse(doc).success, `JSON Schema: ${what}`).toBe(ok);
    }
  });
});
