// The Saturn Cloud job recipe batchplan writes (`sc apply <recipe>`), as a zod schema of the fields
// it sets. Fields a template recipe (--recipe) carries beyond these are kept as they are.
import { z } from 'zod';

export const SATURN_SCHEMA_VERSION = '2024.04.01';

/** Saturn resource names: lowercase letters, digits and '-' (a DNS-1123 label). */
const resourceName = z
  .string()
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'lowercase letters, digits and -, starting and ending alphanumeric',
  );

export const saturnJobSpecSchema = z.looseObject({
  name: resourceName,
  image: z.string().min(1),
  instance_type: z.string().min(1),
  /** Machines the job runs on at once. */
  scale: z.int().positive(),
  working_directory: z.string().startsWith('/'),
  start_script: z.string(),
  environment_variables: z.record(z.string(), z.string()),
  use_spot_instance: z.boolean(),
  /** One shell command per partition; Saturn spreads the list over the job's machines. */
  command: z.array(z.string().min(1)).min(1),
});

export const saturnJobRecipeSchema = z.looseObject({
  /** The --recipe's own, else the one batchplan writes (SATURN_SCHEMA_VERSION). */
  schema_version: z.string().min(1),
  type: z.literal('job'),
  spec: saturnJobSpecSchema,
});

export type SaturnJobRecipe = z.infer<typeof saturnJobRecipeSchema>;
