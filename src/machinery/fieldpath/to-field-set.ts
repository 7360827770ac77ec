/**
 * The fields an object sets, as server-side apply counts them (upstream's
 * typed ToFieldSet), guided by the kind's schema:
 *
 * - a scalar is a member; so is an atomic list (no `x-kubernetes-list-type`,
 *   or `atomic`) or an atomic map/struct (`x-kubernetes-map-type: atomic`),
 *   without looking inside;
 * - a struct is not a member itself, only its fields are; a field holding
 *   null or an empty map is a member;
 * - a map's keys (labels, annotations, and anything below
 *   `x-kubernetes-preserve-unknown-fields`) are members, with their own
 *   fields as children when they hold objects;
 * - a list of list-type map or set is not a member, each item is — by its
 *   key fields (`k:{"name":"nginx"}`, a missing key field taking its
 *   schema default) or by its value (`v:"a"`) — with the item's fields as
 *   children; an empty list adds nothing. A list with a strategic-merge
 *   key (`x-kubernetes-patch-merge-key`) and no list type counts as a map
 *   list on that key, as upstream's schema conversion makes it.
 */
import type { Schema } from '../schema/types.js';
import { FieldSet } from './field-set.js';
import type { PathElement } from './path-element.js';

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A list's kind and keys, as SSA reads them from the schema. */
function listKind(schema: Schema | undefined): { kind: 'atomic' } | { kind: 'set' } | { kind: 'map'; keys: string[] } {
  const type = schema?.['x-kubernetes-list-type'];
  if (type === 'set') return { kind: 'set' };
  if (type === 'map') return { kind: 'map', keys: schema?.['x-kubernetes-list-map-keys'] ?? [] };
  if (!type && schema?.['x-kubernetes-patch-merge-key'] && schema['x-kubernetes-patch-strategy']?.split(',').includes('merge')) {
    return { kind: 'map', keys: [schema['x-kubernetes-patch-merge-key']] };
  }
  return { kind: 'atomic' };
}

/** Whether a schema describes anything at all (an unknown subtree is a granular map of atomic lists). */
const unknown = (schema: Schema | undefined) => !schema || schema['x-kubernetes-preserve-unknown-fields'] === true;

export class FieldSetError extends Error {}

function visit(value: unknown, schema: Schema | undefined, path: PathElement[], set: FieldSet): void {
  if (Array.isArray(value)) {
    const list = unknown(schema) ? ({ kind: 'atomic' } as const) : listKind(schema);
    if (list.kind === 'atomic') return set.insert(path);
    const seen = new Set<string>();
    for (const item of value) {
      const element = itemElement(item, list, schema?.items);
      const itemPath = [...path, element];
      const identity = JSON.stringify(element);
      // A duplicate item is owned as a whole: its key, not its fields.
      if (!seen.has(identity)) visit(item, schema?.items, itemPath, set);
      seen.add(identity);
      set.insert(itemPath);
    }
    return;
  }
  if (isObject(value)) {
    if (!unknown(schema) && schema?.['x-kubernetes-map-type'] === 'atomic') return set.insert(path);
    // Declared fields by their schemas; other keys as map entries (below preserve-unknown-fields: of no schema).
    const properties = schema?.properties;
    for (const [key, item] of Object.entries(value)) {
      const childPath: PathElement[] = [...path, { kind: 'field', name: key }];
      const declared = properties !== undefined && key in properties;
      const childSchema = declared ? properties![key] : unknown(schema) ? undefined : schema?.additionalProperties;
      if (item === null || item === undefined || (isObject(item) && Object.keys(item).length === 0)) {
        set.insert(childPath);
        continue;
      }
      if (!declared) set.insert(childPath);
      visit(item, childSchema, childPath, set);
    }
    return;
  }
  set.insert(path);
}

function itemElement(item: unknown, list: { kind: 'set' } | { kind: 'map'; keys: string[] }, itemSchema: Schema | undefined): PathElement {
  if (list.kind === 'set') return { kind: 'value', value: item };
  if (!isObject(item)) throw new FieldSetError(`associative list with keys has an element that is not a map type`);
  const fields: [string, unknown][] = list.keys.map((key) => {
    const value = key in item ? item[key] : itemSchema?.properties?.[key]?.default;
    if (value === undefined) throw new FieldSetError(`associative list with keys has an element that omits key field "${key}" (and doesn't have default value)`);
    return [key, value];
  });
  fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { kind: 'key', fields };
}

/** The field set an object (an applied configuration) sets, by its kind's schema. */
export function fieldSetOf(value: unknown, schema: Schema | undefined): FieldSet {
  const set = new FieldSet();
  visit(value, schema, [], set);
  return set;
}
