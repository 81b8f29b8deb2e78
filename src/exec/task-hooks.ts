// The registered task environments (see task-hook.ts); run-partition opens each for every partition.
import { saturnLayout } from '../runners/saturn-layout.js';
import type { TaskHook } from './task-hook.js';

export const TASK_HOOKS: readonly TaskHook[] = [saturnLayout];
