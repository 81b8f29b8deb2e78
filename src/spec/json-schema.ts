// JSON Schema of the spec for editors (yaml-language-server, VS Code), generated from the zod schema.
import { z } from 'zod';
import { specSchema } from './schema.js';

export function specJsonSchema(): object {
  return { ...z.toJSONSchema(specSchema), title: 'batchplan spec' };
}
