// A small checker for the JSON Schema subset that z.toJSONSchema produces for our file formats. It
// lets the run-partition path validate plan.json and task records without loading zod (about a third
// of its start-up, and it starts once per array task); zod stays the one source of each format, and a
// test keeps the generated schemas equal to it. A keyword it does not know is an error, never a pass.

export type JsonSchema = { readonly [keyword: string]: unknown };

export interface JsonProblem {
  /** Where, as property names and array indices (e.g. ['stages', 0, 'tasks']). */
  path: (string | number)[];
  message: string;
}

const IGNORED = new Set(['$schema', 'propertyNames']); // propertyNames: JSON keys are always strings

/** The first place where `value` does not match `schema`, or undefined when it matches. */
export function checkJson(
  value: unknown,
  schema: JsonSchema,
  path: (string | number)[] = [],
): JsonProblem | undefined {
  const fail = (message: string): JsonProblem => ({ path, message });
  for (const [keyword, arg] of Object.entries(schema)) {
    switch (keyword) {
      case 'type':
        if (!hasType(value, arg as string)) return fail(`expected ${arg as string}, got ${describe(value)}`);
        break;
      case 'const':
        if (value !== arg) return fail(`expected ${JSON.stringify(arg)}`);
        break;
      case 'enum':
        if (!(arg as unknown[]).includes(value))
          return fail(`expected one of ${(arg as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < (arg as number))
          return fail(`must be at least ${arg as number}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > (arg as number))
          return fail(`must be at most ${arg as number}`);
        break;
      case 'exclusiveMinimum':
        if (typeof value === 'number' && value <= (arg as number))
          return fail(`must be more than ${arg as number}`);
        break;
      case 'required':
        if (isObject(value))
          for (const key of arg as string[])
            if (!(key in value)) return { path: [...path, key], message: 'missing' };
        break;
      case 'properties':
        if (isObject(value))
          for (const [key, sub] of Object.entries(arg as Record<string, JsonSchema>)) {
            if (value[key] === undefined) continue;
            const problem = checkJson(value[key], sub, [...path, key]);
            if (problem) return problem;
          }
        break;
      case 'additionalProperties':
        if (isObject(value)) {
          const known = (schema.properties ?? {}) as Record<string, unknown>;
          for (const [key, v] of Object.entries(value)) {
            if (key in known) continue;
            if (arg === false) return { path: [...path, key], message: 'unknown key' };
            const problem = checkJson(v, arg as JsonSchema, [...path, key]);
            if (problem) return problem;
          }
        }
        break;
      case 'items':
        if (Array.isArray(value))
          for (let i = 0; i < value.length; i++) {
            const problem = checkJson(value[i], arg as JsonSchema, [...path, i]);
            if (problem) return problem;
          }
        break;
      default:
        if (!IGNORED.has(keyword))
          throw new Error(`json-check: unsupported JSON Schema keyword '${keyword}'`);
    }
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'null':
      return v === null;
    default:
      return typeof v === type; // string, boolean
  }
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
