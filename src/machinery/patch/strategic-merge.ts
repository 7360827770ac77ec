/**
 * Strategic merge patch: Kubernetes' own patch format, what `kubectl apply`,
 * `kubectl edit` and `kubectl label` send for built-in kinds. It reads like a
 * merge patch, but lists can merge too: the schema says, per list field,
 * whether the list is replaced (the default) or merged, and for lists of
 * objects which key identifies an element (`x-kubernetes-patch-merge-key`:
 * containers by `name`, ports by `containerPort`). So a patch
 * `{spec: {containers: [{name: web, image: v2}]}}` changes one container's
 * image without restating the others.
 *
 * Directives, keys starting with `$`, say what plain JSON cannot:
 * - `$patch: delete | replace | merge` on a map or a list element;
 * - `$retainKeys: [...]` keeps only those keys of a map (retainKeys strategy,
 *   e.g. a Deployment's strategy or a volume's source);
 * - `$deleteFromPrimitiveList/<field>: [...]` removes values from a merged
 *   list of scalars (e.g. finalizers);
 * - `$setElementOrder/<field>: [...]` gives the order of a merged list.
 *
 * Without a schema (free-form fields) maps merge and lists are replaced,
 * exactly as in a JSON merge patch.
 */
import { deepCopy, isPlainObject } from '../object.js';
import type { Schema } from '../schema/types.js';
import { malformedPatch, unappliablePatch } from './errors.js';

type Json = Record<string, unknown>;

const DELETE = Symbol('delete');

const deleteListPrefix = '$deleteFromPrimitiveList/';
const orderPrefix = '$setElementOrder/';

/** The key list elements are matched on, if the list merges. */
function mergeKeyOf(schema: Schema | undefined): string | undefined {
  if (!schema) return undefined;
  if (schema['x-kubernetes-patch-merge-key']) return schema['x-kubernetes-patch-merge-key'];
  // Lists declared as maps with a single key merge on it, like upstream's
  // structured-merge treatment of list-type=map.
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] === 'map' && keys?.length === 1) return keys[0];
  return undefined;
}

function strategyOf(schema: Schema | undefined): string[] {
  return (schema?.['x-kubernetes-patch-strategy'] ?? '').split(',').filter(Boolean);
}

function listMerges(schema: Schema | undefined): boolean {
  if (strategyOf(schema).includes('merge')) return true;
  const type = schema?.['x-kubernetes-list-type'];
  return (type === 'map' && mergeKeyOf(schema) !== undefined) || type === 'set';
}

function childSchema(schema: Schema | undefined, key: string): Schema | undefined {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return schema?.properties?.[key];
  return schema.properties?.[key] ?? schema.additionalProperties;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Applies a strategic merge patch; returns a new document, inputs untouched. */
export function applyStrategicMergePatch(document: unknown, patch: unknown, schema: Schema): unknown {
  return applyStrategicMergePatchInPlace(isPlainObject(document) ? deepCopy(document) : {}, patch, schema);
}

/** The same, changing `document` (which the caller owns) instead of copying it first. */
export function applyStrategicMergePatchInPlace(document: unknown, patch: unknown, schema: Schema): unknown {
  if (!isPlainObject(patch)) throw malformedPatch('strategic merge patch must be a JSON object');
  const result = mergeMap(isPlainObject(document) ? document : {}, patch, schema);
  return result === DELETE ? {} : result;
}

/** Merges `patch` into `original` (owned by the caller, changed in place). */
function mergeMap(original: Json, patch: Json, schema: Schema | undefined): Json | typeof DELETE {
  const directive = patch.$patch;
  if (directive !== undefined) {
    if (directive === 'delete') return DELETE;
    if (directive === 'replace') {
      const replacement = deepCopy(patch);
      delete replacement.$patch;
      return stripDirectives(replacement);
    }
    if (directive !== 'merge') throw malformedPatch(`Unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  }

  const retainKeys = patch.$retainKeys;
  if (retainKeys !== undefined) {
    if (!Array.isArray(retainKeys)) throw malformedPatch('$retainKeys must be a list of keys');
    for (const key of Object.keys(patch)) {
      if (!key.startsWith('$') && patch[key] !== null && !retainKeys.includes(key)) {
        throw unappliablePatch(`The patch content doesn't match retainKeys list: key ${key} is not in ${JSON.stringify(retainKeys)}`);
      }
    }
    for (const key of Object.keys(original)) if (!retainKeys.includes(key)) delete original[key];
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(deleteListPrefix)) {
      const field = key.slice(deleteListPrefix.length);
      if (!Array.isArray(value)) throw malformedPatch(`${key} must be a list`);
      const list = original[field];
      if (Array.isArray(list)) original[field] = list.filter((item) => !value.some((gone) => sameValue(gone, item)));
      continue;
    }
    if (key.startsWith(orderPrefix)) {
      // Checked here, applied after the field merges (below).
      const field = key.slice(orderPrefix.length);
      checkElementOrder(value, patch[field], childSchema(schema, field));
      continue;
    }
    if (key.startsWith('$')) throw malformedPatch(`unknown patch directive ${key}`);

    const fieldSchema = childSchema(schema, key);
    if (value === null) {
      delete original[key];
      continue;
    }
    const current = original[key];
    if (isPlainObject(value)) {
      if (strategyOf(fieldSchema).includes('replace') && value.$patch === undefined) {
        original[key] = stripDirectives(deepCopy(value));
        continue;
      }
      const merged = mergeMap(isPlainObject(current) ? current : {}, value, fieldSchema);
      if (merged === DELETE) delete original[key];
      else original[key] = merged;
      continue;
    }
    if (Array.isArray(value)) {
      const order = patch[`${orderPrefix}${key}`];
      original[key] = mergeList(Array.isArray(current) ? current : [], value, fieldSchema, Array.isArray(order) ? order : undefined, key);
      continue;
    }
    original[key] = value;
  }

  // An order for a list the patch did not otherwise touch still reorders it.
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(orderPrefix)) continue;
    const field = key.slice(orderPrefix.length);
    if (Object.hasOwn(patch, field)) continue; // ordered by the list merge above
    const list = original[field];
    if (Array.isArray(list)) original[field] = reorder(list, order as unknown[], mergeKeyOf(childSchema(schema, field)));
  }
  return original;
}

const badElementOrder = 'invalid patch format of setElementOrder list';

/**
 * A `$setElementOrder/<field>` list must be what kubectl sends: a list of
 * `{<mergeKey>: value}` maps (a list of scalars for a merged list of
 * scalars), naming the patch's own elements of that field in the same order.
 * Anything else is a 400 with upstream's message, before it is used.
 */
function checkElementOrder(order: unknown, patchList: unknown, schema: Schema | undefined): void {
  if (!Array.isArray(order)) throw malformedPatch(badElementOrder);
  if (patchList !== undefined && !Array.isArray(patchList)) throw malformedPatch(badElementOrder);
  const mergeKey = listMerges(schema) ? mergeKeyOf(schema) : undefined;
  const identity = (entry: unknown): string => {
    if (mergeKey) {
      if (!isPlainObject(entry)) throw malformedPatch(badElementOrder);
      if (!Object.hasOwn(entry, mergeKey)) throw malformedPatch(`map: ${JSON.stringify(entry)} does not contain declared merge key: ${mergeKey}`);
      return JSON.stringify(entry[mergeKey]);
    }
    if (entry !== null && typeof entry === 'object') throw malformedPatch(badElementOrder);
    return JSON.stringify(entry);
  };
  const wanted = order.map(identity);
  if (!Array.isArray(patchList) || wanted.length === 0) return;
  // The patch's elements (deletions and directives aside) must be a subsequence of the order.
  let at = 0;
  for (const item of patchList) {
    if (isPlainObject(item) && (item.$patch !== undefined || Object.keys(item).every((k) => k.startsWith('$')))) continue;
    if (mergeKey && !isPlainObject(item)) continue; // reported by the list merge itself
    const id = mergeKey ? JSON.stringify((item as Json)[mergeKey]) : JSON.stringify(item);
    while (at < wanted.length && wanted[at] !== id) at++;
    if (at === wanted.length) throw malformedPatch(badElementOrder);
    at++;
  }
}

/** Removes directive keys from a value that replaces rather than merges. */
function stripDirectives<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((item) => !(isPlainObject(item) && item.$patch !== undefined && Object.keys(item).length === 1)).map(stripDirectives) as T;
  if (isPlainObject(value)) {
    const object: Json = value;
    for (const key of Object.keys(object)) {
      if (key.startsWith('$')) delete object[key];
      else object[key] = stripDirectives(object[key]);
    }
  }
  return value;
}

function mergeList(original: unknown[], patch: unknown[], schema: Schema | undefined, order: unknown[] | undefined, field: string): unknown[] {
  // `[{$patch: replace}, ...]` replaces the list whatever its strategy.
  const replace = patch.some((item) => isPlainObject(item) && item.$patch === 'replace');
  if (replace) return stripDirectives(deepCopy(patch.filter((item) => !(isPlainObject(item) && item.$patch === 'replace'))));
  if (!listMerges(schema)) return stripDirectives(deepCopy(patch));

  const mergeKey = mergeKeyOf(schema);
  const itemsAreMaps = patch.some(isPlainObject) || original.some(isPlainObject);
  let result: unknown[];
  if (itemsAreMaps) {
    if (!mergeKey) return stripDirectives(deepCopy(patch));
    result = [...original];
    for (const item of patch) {
      if (!isPlainObject(item)) throw malformedPatch(`${field}: a list of objects cannot hold ${JSON.stringify(item)}`);
      if (!Object.hasOwn(item, mergeKey)) {
        throw malformedPatch(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
      }
      const index = result.findIndex((existing) => isPlainObject(existing) && sameValue(existing[mergeKey], item[mergeKey]));
      if (item.$patch === 'delete') {
        if (index >= 0) result = result.filter((existing) => !(isPlainObject(existing) && sameValue(existing[mergeKey], item[mergeKey])));
        continue;
      }
      if (index >= 0) {
        const merged = mergeMap(result[index] as Json, item, schema?.items);
        if (merged === DELETE) result.splice(index, 1);
        else result[index] = merged;
      } else {
        const added = mergeMap({}, item, schema?.items);
        if (added !== DELETE) result.push(added);
      }
    }
  } else {
    // A merged list of scalars is a set: keep the original, add what is new.
    result = [...original];
    for (const item of patch) if (!result.some((existing) => sameValue(existing, item))) result.push(item);
  }
  return order ? reorder(result, order, mergeKey) : result;
}

/**
 * Orders `list` as `order` says (kubectl apply sends the order of the list
 * in the user's file). Elements the order does not mention — added by
 * someone else — keep their place relative to the element before them.
 */
function reorder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const identity = (item: unknown) => (mergeKey && isPlainObject(item) ? JSON.stringify(item[mergeKey]) : JSON.stringify(item));
  const wanted = order.map((entry) => (mergeKey && isPlainObject(entry) ? JSON.stringify(entry[mergeKey]) : JSON.stringify(entry)));
  const byIdentity = new Map<string, unknown>(list.map((item) => [identity(item), item]));
  const ordered: unknown[] = wanted.filter((id) => byIdentity.has(id)).map((id) => byIdentity.get(id));
  const mentioned = new Set(wanted);
  // Re-insert unmentioned elements after the element that preceded them.
  let result: unknown[] = ordered;
  list.forEach((item, i) => {
    if (mentioned.has(identity(item))) return;
    const before = i > 0 ? list[i - 1] : undefined;
    const at = before === undefined ? 0 : result.indexOf(before) + 1;
    result = [...result.slice(0, at), item, ...result.slice(at)];
  });
  return result;
}
