// Names that Kubernetes and Saturn Cloud accept for what batchplan creates: DNS-1123 labels
// (lowercase letters, digits and '-', starting and ending alphanumeric, at most 63 characters),
// derived from the stage's name, its position, and a short hash of the plan path so that two plans
// in one namespace never share a name.
import { createHash } from 'node:crypto';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

/** Six hex digits of the plan path's SHA-256: the same plan always gets the same names. */
export function planHash(planDir: string): string {
  return createHash('sha256').update(planDir).digest('hex').slice(0, 6);
}

/**
 * `bp-<hash>-<k>-<stage>`, at most `max` characters. An Indexed Job's pods are named and get host
 * names `<job>-<index>`, so Jobs keep room for the index (52 leaves 11 characters).
 */
export function stageResourceName(planDir: string, stageIndex: number, stage: string, max = 52): string {
  const slug = stage
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const name = `bp-${planHash(planDir)}-${stageIndex}${slug ? `-${slug}` : ''}`;
  return name.slice(0, max).replace(/-+$/, '');
}
