// Every command's --help shows examples, and --help/--version exit 0 without loading more than commander.
import { expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { cli } from '../helpers.js';

const commands = buildProgram().commands.map((c) => c.name());

it('knows the commands the README documents', () => {
  expect(commands).toEqual(
    expect.arrayContaining([
      'plan',
      'generate-script',
      'submit',
      'wait',
      'cancel',
      'run-partition',
      'run',
      'status',
      'tasks',
      'logs',
      'schema',
    ]),
  );
});

it.each(commands)('%s --help shows examples and exits 0', (name) => {
  const r = cli([name, '--help']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/\nExamples:\n {2}\$ batchplan /);
});
