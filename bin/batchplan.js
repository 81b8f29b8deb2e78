#!/usr/bin/env node
// run-partition holds stop signals from its first moment (see holdEarlyStopSignals); everything else
// loads after that.
import { holdEarlyStopSignals } from '../dist/exec/stop-signal.js';

if (process.argv[2] === 'run-partition') holdEarlyStopSignals();
const { main } = await import('../dist/cli.js');
main(process.argv);
