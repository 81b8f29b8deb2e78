import { GENERATED } from './schemas.js';
import { writeFiles } from './write.js';

writeFiles(Object.fromEntries(Object.entries(GENERATED).map(([path, make]) => [path, make()])));
