// Flags that several scheduler runners declare alike (one declaration; the CLI shows each flag once).
import { int, str } from './descriptor.js';

export const maxRunning = int('--max-running <K>', 'array elements of a stage running at once (%K)');
export const maxArraySize = int(
  '--max-array-size <M>',
  'largest array the site accepts (submit reads it from the scheduler when it can)',
);

/** The container image partitions run in (kubernetes, saturn). */
export const image = str('--image <image>', 'container image');
