// Unknown options are reported before anything else. Commander checks required options first, so
// `generate-script p 4 --runer slurm` said "required option '--runner' not specified" and never
// named the typo. String work only: this runs before every command, run-partition included.
import type { Command } from 'commander';
import { BatchplanError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';

export function checkUnknownOptions(program: Command, argv: string[]): void {
  const args = argv.slice(2);
  let cmd = program.commands.find((c) => c.name() === args[0] || c.aliases().includes(args[0] ?? ''));
  if (!cmd) return; // an unknown command: commander says so, with its own suggestion
  // A command with subcommands (`remote setup`): the options are the subcommand's.
  let first = 1;
  const path = [cmd.name()];
  for (let sub; (sub = cmd.commands.find((c) => c.name() === args[first])); first++) {
    cmd = sub;
    path.push(sub.name());
  }
  const known = new Set(['--help', '--version']);
  /** Options that take a value: the next word is that value, even if it starts with -- (--sbatch-arg --exclusive). */
  const takesValue = new Set<string>();
  for (const c of [cmd, program])
    for (const o of c.options)
      if (o.long) {
        known.add(o.long);
        if (o.required || o.optional) takesValue.add(o.long);
      }
  for (let k = first; k < args.length; k++) {
    const a = args[k]!;
    if (a === '--') break;
    if (!a.startsWith('--')) continue;
    const name = a.split('=')[0]!;
    if (known.has(name)) {
      if (takesValue.has(name) && !a.includes('=')) k++;
      continue;
    }
    throw new BatchplanError(
      'E_USAGE',
      `unknown option '${name}' for batchplan ${path.join(' ')}${didYouMean(name, known)}`,
      `See: batchplan ${path.join(' ')} --help`,
    );
  }
}
