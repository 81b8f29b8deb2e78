// Every key name the spec (or a Saturn batch file) knows, for "did you mean" on an unknown key:
// read from the zod schemas' JSON Schema, so it never drifts from them. Only built on an error.
import { z } from 'zod';

export function keyNames(schema: z.ZodType): Set<string> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const obj = node as Record<string, unknown>;
    if (obj.properties && typeof obj.properties === 'object')
      for (const k of Object.keys(obj.properties)) names.add(k);
    Object.values(obj).forEach(walk);
  };
  walk(z.toJSONSchema(schema, { unrepresentable: 'any' }));
  return names;
}
