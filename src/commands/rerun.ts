// `rerun --force`: `retry` that may also pick succeeded tasks (see retry.ts).
import { retryCommand } from './retry.js';

export default retryCommand('rerun');
