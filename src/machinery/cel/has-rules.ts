/**
 * Whether a schema has CEL rules, found without loading CEL (on-demand.ts
 * uses it to decide whether a kind needs CEL at all).
 */
import type { Schema } from '../schema/types.js';

const withRules = new WeakMap<Schema, boolean>();

/** Whether a schema has any rule at all (most have none: then nothing is converted or walked); remembered per schema. */
export function hasValidationRules(schema: Schema): boolean {
  const known = withRules.get(schema);
  if (known !== undefined) return known;
  const node = schema as Schema & { 'x-kubernetes-validations'?: unknown[] };
  const found =
    (node['x-kubernetes-validations']?.length ?? 0) > 0 ||
    Object.values(node.properties ?? {}).some(hasValidationRules) ||
    (node.additionalProperties ? hasValidationRules(node.additionalProperties) : false) ||
    (node.items ? hasValidationRules(node.items) : false);
  withRules.set(schema, found);
  return found;
}
