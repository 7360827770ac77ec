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
 *   children; an empty list adds nothing (list-items.ts says how lists
 *   and their items are read from the schema).
 */
import { isPlainObject } from '../object.js';
import type { Schema } from '../schema/types.js';
import { FieldSet } from './field-set.js';
import { listItemElement, listRelationship } from './list-items.js';
import type { PathElement } from './path-element.js';

export { FieldSetError } from './list-items.js';


/** Whether a schema describes anything at all (an unknown subtree is a granular map of atomic lists). */
const unknown = (schema: Schema | undefined) => !schema || schema['x-kubernetes-preserve-unknown-fields'] === true;

function visit(value: unknown, schema: Schema | undefined, path: PathElement[], set: FieldSet): void {
  if (Array.isArray(value)) {
    const list = listRelationship(schema);
    if (list.kind === 'atomic') return set.insert(path);
    const seen = new Set<string>();
    for (const item of value) {
      const element = listItemElement(item, list, schema?.items);
      const itemPath = [...path, element];
      const identity = JSON.stringify(element);
      // A duplicate item is owned as a whole: its key, not its fields.
      if (!seen.has(identity)) visit(item, schema?.items, itemPath, set);
      seen.add(identity);
      set.insert(itemPath);
    }
    return;
  }
  if (isPlainObject(value)) {
    if (!unknown(schema) && schema?.['x-kubernetes-map-type'] === 'atomic') return set.insert(path);
    // Declared fields by their schemas; other keys as map entries (below preserve-unknown-fields: of no schema).
    const properties = schema?.properties;
    for (const [key, item] of Object.entries(value)) {
      const childPath: PathElement[] = [...path, { kind: 'field', name: key }];
      const declared = properties !== undefined && key in properties;
      const childSchema = declared ? properties![key] : unknown(schema) ? undefined : schema?.additionalProperties;
      if (item === null || item === undefined || (isPlainObject(item) && Object.keys(item).length === 0)) {
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

/** The field set an object (an applied configuration) sets, by its kind's schema. */
export function fieldSetOf(value: unknown, schema: Schema | undefined): FieldSet {
  const set = new FieldSet();
  visit(value, schema, [], set);
  return set;
}
