/**
 * How server-side apply sees a list, from its schema, and how it names the
 * list's items — shared by the field sets of an object (to-field-set.ts)
 * and the comparison of two (compare.ts).
 *
 * A list is atomic unless `x-kubernetes-list-type` says `set` or `map`; a
 * list with a strategic-merge key (`x-kubernetes-patch-merge-key`, patch
 * strategy `merge`) and no list type counts as a map list on that key, as
 * upstream's schema conversion makes it. Below
 * `x-kubernetes-preserve-unknown-fields` nothing is known: lists are
 * atomic. A set item is named by its value (`v:"a"`), a map item by its key
 * fields (`k:{"name":"nginx"}`), a missing key field taking its schema
 * default.
 */
import type { Schema } from '../schema/types.js';
import type { PathElement } from './path-element.js';

export type ListRelationship = { kind: 'atomic' } | { kind: 'set' } | { kind: 'map'; keys: string[] };

/** Why an item cannot be named (upstream refuses the whole object). */
export class FieldSetError extends Error {}

export function listRelationship(schema: Schema | undefined): ListRelationship {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return { kind: 'atomic' };
  const type = schema['x-kubernetes-list-type'];
  if (type === 'set') return { kind: 'set' };
  if (type === 'map') return { kind: 'map', keys: schema['x-kubernetes-list-map-keys'] ?? [] };
  if (!type && schema['x-kubernetes-patch-merge-key'] && schema['x-kubernetes-patch-strategy']?.split(',').includes('merge')) {
    return { kind: 'map', keys: [schema['x-kubernetes-patch-merge-key']] };
  }
  return { kind: 'atomic' };
}

/** The path element of an item of a set or map list; throws FieldSetError when a map item lacks a key (and its default). */
export function listItemElement(item: unknown, list: Exclude<ListRelationship, { kind: 'atomic' }>, itemSchema: Schema | undefined): PathElement {
  if (list.kind === 'set') return { kind: 'value', value: item };
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new FieldSetError('associative list with keys has an element that is not a map type');
  const fields: [string, unknown][] = list.keys.map((key) => {
    const value = key in item ? (item as Record<string, unknown>)[key] : itemSchema?.properties?.[key]?.default;
    if (value === undefined) throw new FieldSetError(`associative list with keys has an element that omits key field "${key}" (and doesn't have default value)`);
    return [key, value];
  });
  fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { kind: 'key', fields };
}
