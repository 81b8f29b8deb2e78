// The README's exit-code table is an interface: it must list every code with its number.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EXIT_CODE_MEANINGS, EXIT_CODES } from '../../src/errors.js';
import { ROOT } from '../helpers.js';

it('README lists every exit code, with its number and meaning', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const [code, exit] of Object.entries(EXIT_CODES))
    expect(readme, code).toContain(
      `| ${exit} | \`${code}\` | ${EXIT_CODE_MEANINGS[code as keyof typeof EXIT_CODES]} |`,
    );
});

it('.ci/run runs the test command the README gives', () => {
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/```\nnpm test\n```/);
  expect(ci).toMatch(/^BATCHPLAN_REQUIRE_ENGINES=1 npm test$/m);
});
