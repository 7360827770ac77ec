/**
 * `x-kubernetes-list-type` in a custom resource: a `set` holds no value
 * twice, a `map` no two items with the same key fields — checked as the
 * apiextensions-apiserver checks them, after schema validation. Paths are
 * upstream's field paths: `spec.ports[1]`, and map entries by key,
 * `spec.byName[web].ports[0]`.
 *
 * A set reports a repeated scalar once (at its second place) and a
 * repeated object or list at each repetition; a map reports each item
 * whose key was seen before, with the key fields as the value
 * (`map[string]interface {}{"name":"http"}`). Atomic lists (the default)
 * are not checked.
 */
import { isPlainObject } from '../object.js';
import { field, GoValue, type FieldErrorLike } from '../status.js';
import type { Schema } from './types.js';

const isScalar = (value: unknown) => value === null || typeof value !== 'object';

function checkSet(items: unknown[], path: string, errors: FieldErrorLike[]): void {
  const scalars = new Map<string, number>();
  const others: string[] = [];
  items.forEach((item, index) => {
    const key = JSON.stringify(item);
    if (isScalar(item)) {
      const times = scalars.get(key) ?? 0;
      if (times === 1) errors.push(field.duplicate(`${path}[${index}]`, item));
      scalars.set(key, times + 1);
    } else {
      if (others.includes(key)) errors.push(field.duplicate(`${path}[${index}]`, GoValue.of(item)));
      others.push(key);
    }
  });
}

function checkMap(items: unknown[], keys: string[], path: string, errors: FieldErrorLike[]): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (!isPlainObject(item)) {
      errors.push(field.invalid(`${path}[${index}]`, isScalar(item) ? item : GoValue.of(item), 'must be an object for an array of list-type map'));
      return;
    }
    const keyFields = Object.fromEntries(keys.filter((key) => key in item).map((key) => [key, item[key]]));
    const identity = JSON.stringify(keys.map((key) => item[key] ?? null));
    if (seen.has(identity)) errors.push(field.duplicate(`${path}[${index}]`, GoValue.of(keyFields)));
    seen.add(identity);
  });
}

function walk(schema: Schema | undefined, value: unknown, path: string, errors: FieldErrorLike[]): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'set') checkSet(value, path, errors);
    else if (listType === 'map') checkMap(value, schema['x-kubernetes-list-map-keys'] ?? [], path, errors);
    value.forEach((item, index) => walk(schema.items, item, `${path}[${index}]`, errors));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, item] of Object.entries(value)) {
    const property = schema.properties?.[key];
    if (property) walk(property, item, path ? `${path}.${key}` : key, errors);
    else if (schema.additionalProperties) walk(schema.additionalProperties, item, `${path}[${key}]`, errors);
  }
}

/** The duplicates that a custom resource's set and map lists hold, as field errors. */
export function validateListTypes(schema: Schema, value: unknown, root = ''): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  walk(schema, value, root, errors);
  return errors;
}
