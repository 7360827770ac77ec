/**
 * What a write changed, field by field, as server-side apply counts it for
 * an Update (upstream's typed Compare): the paths added, modified and
 * removed between the old object and the new one, guided by the schema.
 *
 * A value that appears is added with everything below it (a new map or
 * struct is itself a member, so an Update entry shows `".":{}` there); one
 * that disappears is removed likewise; a scalar, an atomic list or an
 * atomic map whose value differs is modified as a whole. Granular maps,
 * structs and list-type map and set lists are compared item by item.
 */
import { isPlainObject } from '../object.js';
import type { Schema } from '../schema/types.js';
import { FieldSet } from './field-set.js';
import { FieldSetError, listItemElement, listRelationship, type ListRelationship } from './list-items.js';
import type { PathElement } from './path-element.js';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

const absent = (value: unknown) => value === undefined;

function itemsByElement(list: unknown, kind: Exclude<ListRelationship, { kind: 'atomic' }>, itemSchema: Schema | undefined): Map<string, { element: PathElement; item: unknown }> {
  const items = new Map<string, { element: PathElement; item: unknown }>();
  for (const item of Array.isArray(list) ? list : []) {
    let element: PathElement;
    try {
      element = listItemElement(item, kind, itemSchema);
    } catch (err) {
      // An item that cannot be named is no field of anyone's: the field set of the object refuses it.
      if (err instanceof FieldSetError) continue;
      throw err;
    }
    items.set(JSON.stringify(element), { element, item });
  }
  return items;
}

function walk(old: unknown, next: unknown, schema: Schema | undefined, path: PathElement[], result: Comparison): void {
  if (absent(old) && absent(next)) return;
  if (absent(old)) result.added.insert(path);
  else if (absent(next)) result.removed.insert(path);
  const value = absent(next) ? old : next;
  if (Array.isArray(value)) {
    const list = listRelationship(schema);
    if (list.kind === 'atomic') {
      if (!absent(old) && !absent(next) && JSON.stringify(old) !== JSON.stringify(next)) result.modified.insert(path);
      return;
    }
    const before = itemsByElement(old, list, schema?.items);
    const after = itemsByElement(next, list, schema?.items);
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const element = (after.get(key) ?? before.get(key))!.element;
      walk(before.get(key)?.item, after.get(key)?.item, schema?.items, [...path, element], result);
    }
    return;
  }
  if (isPlainObject(value)) {
    const atomic = schema !== undefined && !schema['x-kubernetes-preserve-unknown-fields'] && schema['x-kubernetes-map-type'] === 'atomic';
    if (atomic) {
      if (!absent(old) && !absent(next) && JSON.stringify(old) !== JSON.stringify(next)) result.modified.insert(path);
      return;
    }
    // A value that changed kind (a map where a scalar was) is modified as a whole.
    if (!absent(old) && !absent(next) && (!isPlainObject(old) || !isPlainObject(next))) {
      result.modified.insert(path);
      return;
    }
    const before = isPlainObject(old) ? old : {};
    const after = isPlainObject(next) ? next : {};
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const childSchema = schema?.properties?.[key] ?? (schema?.['x-kubernetes-preserve-unknown-fields'] ? undefined : schema?.additionalProperties);
      walk(before[key], after[key], childSchema, [...path, { kind: 'field', name: key }], result);
    }
    return;
  }
  if (!absent(old) && !absent(next) && JSON.stringify(old) !== JSON.stringify(next)) result.modified.insert(path);
}

/** The paths a write added, modified and removed, from the old object to the new one. */
export function compareObjects(old: unknown, next: unknown, schema: Schema | undefined): Comparison {
  const result: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walk(old ?? {}, next ?? {}, schema, [], result);
  return result;
}
