/**
 * The two value operations of server-side apply, guided by the schema as
 * structured-merge-diff does them:
 *
 * - `mergeConfiguration(live, config)`: the applied configuration laid over
 *   the live object. Scalars, atomic lists and atomic maps are replaced;
 *   structs and granular maps are merged key by key; set and map lists are
 *   merged item by item — live-only items keep their places, the items the
 *   configuration names come in its order.
 * - `pruneApplied(merged, last, managed)`: what an applier applied before
 *   and applies no more, taken out when no manager owns it, by upstream's
 *   set arithmetic over `removeItems` and `ensureNamedFieldsAreMembers`.
 */
import { isPlainObject } from '../object.js';
import type { Schema } from '../schema/types.js';
import { FieldSet } from './field-set.js';
import { listItemElement, listRelationship, type ListRelationship } from './list-items.js';
import { serializePathElement, type PathElement } from './path-element.js';
import { fieldSetOf } from './to-field-set.js';

const preservesUnknown = (schema: Schema | undefined) => !schema || schema['x-kubernetes-preserve-unknown-fields'] === true;

function childSchema(schema: Schema | undefined, key: string): Schema | undefined {
  if (!schema) return undefined;
  if (schema.properties && key in schema.properties) return schema.properties[key];
  return preservesUnknown(schema) ? undefined : schema.additionalProperties;
}

/** The applied configuration merged into the live value (neither is changed; the result shares no structure with them). */
export function mergeConfiguration(live: unknown, config: unknown, schema: Schema | undefined): unknown {
  if (config === undefined) return structuredClone(live);
  if (Array.isArray(config)) {
    const list = listRelationship(schema);
    if (list.kind === 'atomic' || !Array.isArray(live)) return structuredClone(config);
    return mergeLists(live, config, list, schema?.items);
  }
  if (isPlainObject(config)) {
    if (!isPlainObject(live) || (!preservesUnknown(schema) && schema?.['x-kubernetes-map-type'] === 'atomic')) return structuredClone(config);
    const merged: Record<string, unknown> = structuredClone(live);
    for (const [key, value] of Object.entries(config)) merged[key] = mergeConfiguration(live[key], value, childSchema(schema, key));
    return merged;
  }
  return config;
}

/**
 * Items of two associative lists merged as structured-merge-diff merges
 * them: walking both, an item only the live list has stays where it is; the
 * items both have follow the configuration's order; new items come where the
 * configuration puts them.
 */
function mergeLists(live: unknown[], config: unknown[], list: Exclude<ListRelationship, { kind: 'atomic' }>, itemSchema: Schema | undefined): unknown[] {
  const keyOf = (item: unknown) => serializePathElement(listItemElement(item, list, itemSchema));
  const liveKeys = live.map(keyOf);
  const configKeys = config.map(keyOf);
  const liveByKey = new Map(liveKeys.map((key, i) => [key, live[i]]));
  const configByKey = new Map(configKeys.map((key, i) => [key, config[i]]));
  const shared = configKeys.filter((key) => liveByKey.has(key));
  let nextShared = 0;
  const mergedKeys = new Set<string>();
  const out: unknown[] = [];
  const mergeItem = (key: string) => {
    mergedKeys.add(key);
    const item = configByKey.get(key);
    out.push(list.kind === 'set' ? structuredClone(item) : mergeConfiguration(liveByKey.get(key), item, itemSchema));
    if (shared[nextShared] === key) nextShared++;
  };
  let l = 0;
  let r = 0;
  while (l < live.length || r < config.length) {
    if (l < live.length && r < config.length) {
      const key = liveKeys[l];
      if (key === configKeys[r]) {
        mergeItem(key);
        l++;
        r++;
        continue;
      }
      // A shared item, but not the one whose turn it is: it comes later, in the configuration's order.
      if (configByKey.has(key) && nextShared < shared.length && shared[nextShared] !== key) {
        l++;
        continue;
      }
    }
    if (l < live.length) {
      const key = liveKeys[l];
      if (!configByKey.has(key)) {
        out.push(structuredClone(live[l]));
        l++;
        continue;
      }
      if (mergedKeys.has(key)) {
        l++;
        continue;
      }
    }
    if (r < config.length) {
      mergeItem(configKeys[r]);
      r++;
    }
  }
  return out;
}

/** The schema of what a path element leads to. */
function schemaBelow(schema: Schema | undefined, element: PathElement): Schema | undefined {
  return element.kind === 'field' ? childSchema(schema, element.name) : schema?.items;
}

/** Whether a field is a declared (struct) field rather than a map key. */
function isNamedField(schema: Schema | undefined, element: PathElement): boolean {
  return element.kind === 'field' && schema?.properties !== undefined && element.name in schema.properties;
}

/**
 * The set with every declared field that has members below it made a
 * member too (upstream's EnsureNamedFieldsAreMembers): `spec.replicas`
 * brings `spec`, while a map key on the way (`labels.app`) does not bring
 * the map's key — what lets pruning treat structs and maps alike.
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, schema: Schema | undefined): FieldSet {
  const result = new FieldSet();
  const walk = (node: FieldSet, nodeSchema: Schema | undefined, prefix: PathElement[]) => {
    for (const { element, node: child } of node.childEntries()) {
      const path = [...prefix, element];
      const hasChildren = child.childEntries().length > 0;
      if (child.member || (hasChildren && isNamedField(nodeSchema, element))) result.insert(path);
      walk(child, schemaBelow(nodeSchema, element), path);
    }
  };
  walk(set, schema, []);
  return result;
}

function childNode(set: FieldSet, element: PathElement): FieldSet | undefined {
  const key = serializePathElement(element);
  return set.childEntries().find((entry) => serializePathElement(entry.element) === key)?.node;
}

/**
 * A copy of `value` without the members of `set` (upstream's RemoveItems):
 * a member field, map entry or list item goes with all below it; a
 * container the removal empties becomes null, as upstream leaves it (the
 * kinds' pruning then drops it). Atomic lists and maps are not entered.
 */
export function removeItems(value: unknown, set: FieldSet, schema: Schema | undefined): unknown {
  if (Array.isArray(value)) {
    const list = listRelationship(schema);
    if (value.length === 0 || list.kind === 'atomic') return null;
    const kept: unknown[] = [];
    for (const item of value) {
      let element: PathElement;
      try {
        element = listItemElement(item, list, schema?.items);
      } catch {
        kept.push(structuredClone(item));
        continue;
      }
      const below = childNode(set, element);
      if (below?.member) continue;
      kept.push(below && below.childEntries().length > 0 ? removeItems(item, below, schema?.items) : structuredClone(item));
    }
    return kept.length > 0 ? kept : null;
  }
  if (isPlainObject(value)) {
    if (Object.keys(value).length === 0 || (!preservesUnknown(schema) && schema?.['x-kubernetes-map-type'] === 'atomic')) return null;
    const kept: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const element: PathElement = { kind: 'field', name: key };
      const below = childNode(set, element);
      if (below?.member) continue;
      kept[key] = below && below.childEntries().length > 0 ? removeItems(item, below, childSchema(schema, key)) : structuredClone(item);
    }
    return Object.keys(kept).length > 0 ? kept : null;
  }
  return structuredClone(value);
}

/**
 * What an apply removes from the merged object (upstream's prune): what
 * its manager applied last time (`last`), applies no more, and no manager
 * (`managed`: every entry, the new applied set among them) owns. Follows
 * upstream's three steps — remove all of `last`, add back what anyone owns,
 * then keep what `last` never held — so structs, maps and list items are
 * removed exactly where upstream removes them.
 */
export function pruneApplied(merged: unknown, last: FieldSet, managed: FieldSet, schema: Schema | undefined): unknown {
  const named = (set: FieldSet) => ensureNamedFieldsAreMembers(set, schema);
  const mergedSet = named(fieldSetOf(merged, schema));
  const firstPass = removeItems(merged, named(last), schema);
  const ownedBack = removeItems(merged, mergedSet.difference(named(fieldSetOf(firstPass, schema)).union(named(managed))), schema);
  return removeItems(merged, mergedSet.difference(named(fieldSetOf(ownedBack, schema))).intersection(named(last)), schema);
}
