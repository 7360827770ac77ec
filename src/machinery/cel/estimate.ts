/**
 * The static cost estimate of a CRD validation rule, after upstream's: how
 * much evaluating it may cost at most, given the sizes the schema allows
 * (`maxItems`, `maxProperties`, `maxLength`; without them, as many as a
 * request of 3 MiB can hold). A rule estimated over ten million units, or
 * the rules of a schema over a hundred million together (each times how
 * often it may run: once per item of every list above it), make the CRD
 * invalid, with upstream's message.
 *
 * The model is simpler than cel-go's — a unit per operation, and a
 * comprehension's body times its list's size — so it estimates no more
 * than upstream does: what it refuses (a loop inside a loop over unbounded
 * lists), upstream refuses too.
 */
import { isPlainObject } from '../object.js';
import type { Schema } from '../schema/types.js';

export const staticEstimatedCostLimit = 10_000_000;
export const staticEstimatedCRDCostLimit = 100_000_000;

/** Upstream's bound on a request body, which bounds every unbounded list, map and string. */
const maxRequestSizeBytes = 3 * 1024 * 1024;

/** The smallest JSON text of a value of this schema, plus the comma between items. */
function minimumSerializedSize(schema: Schema | undefined): number {
  switch (schema?.type) {
    case 'string':
      return 3; // "",
    case 'integer':
    case 'number':
      return 2; // 0,
    case 'boolean':
      return 5; // true,
    default:
      return 3; // {}, or [],
  }
}

/** How many items, entries or characters a value of this schema may hold at most. */
export function maxSize(schema: Schema | undefined): number {
  if (!schema) return 1;
  if (schema.type === 'array') return schema.maxItems ?? Math.floor((maxRequestSizeBytes - 2) / minimumSerializedSize(schema.items));
  if (schema.type === 'string') return schema.maxLength ?? maxRequestSizeBytes - 2;
  if (schema.type === 'object' && schema.additionalProperties) return schema.maxProperties ?? Math.floor((maxRequestSizeBytes - 2) / (4 + minimumSerializedSize(schema.additionalProperties)));
  return 1;
}

const macros = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** The estimated maximum cost of an expression (a cel-js AST) over `self` of `schema`. */
export function estimateCost(ast: unknown, schema: Schema): number {
  const scope = new Map<string, Schema | undefined>([['self', schema]]);
  /** The schema of what an expression yields, when the schema says. */
  const schemaOf = (node: unknown): Schema | undefined => {
    if (!isPlainObject(node)) return undefined;
    if (node.op === 'id') return scope.get(node.args as string);
    if (node.op === '.' || node.op === '.?') {
      const [target, name] = node.args as [unknown, string];
      const parent = schemaOf(target);
      return parent?.properties?.[name] ?? parent?.additionalProperties;
    }
    if (node.op === '[]') {
      const parent = schemaOf((node.args as unknown[])[0]);
      return parent?.items ?? parent?.additionalProperties;
    }
    return undefined;
  };
  const cost = (node: unknown): number => {
    if (Array.isArray(node)) return node.reduce((sum: number, item) => sum + cost(item), 0);
    if (!isPlainObject(node)) return 0;
    if (node.op === 'value') return 0;
    if (node.op === 'id') return 1;
    if (node.op === 'rcall') {
      const [name, receiver, args] = node.args as [string, unknown, unknown[]];
      if (macros.has(name) && isPlainObject(args[0]) && args[0].op === 'id') {
        const variable = args[0].args as string;
        const iterable = schemaOf(receiver);
        // A list's variable is an item; a map's, a key.
        const bound = iterable?.type === 'array' ? iterable.items : iterable?.additionalProperties ? { type: 'string' as const } : undefined;
        const previous = scope.get(variable);
        scope.set(variable, bound);
        const body = cost(args.slice(1));
        if (previous === undefined) scope.delete(variable);
        else scope.set(variable, previous);
        return cost(receiver) + maxSize(iterable) * (body + 1);
      }
      return 1 + cost(receiver) + cost(args);
    }
    return 1 + cost(node.args);
  };
  return cost(ast);
}

/** Upstream's message for an estimate over its limit. */
export function costErrorMessage(costName: string, cost: number, limit: number): string {
  const factor = cost / limit;
  const shown = factor > 100 ? 'more than 100x' : factor < 1.5 ? `${factor.toFixed(6)}x` : `${factor.toFixed(1)}x`;
  return `${costName} exceeds budget by factor of ${shown} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}
