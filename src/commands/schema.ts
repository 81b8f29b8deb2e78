import { specJsonSchema } from '../spec/json-schema.js';
import { printJson } from './output.js';

export default async function schema(): Promise<number> {
  printJson(specJsonSchema());
  return 0;
}
