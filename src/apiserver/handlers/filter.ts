/**
 * Label and field selectors of list, watch and deletecollection requests,
 * compiled once per request into a predicate over objects.
 */
import type { KubeObject } from '../../machinery/object.js';
import type { ResourceType } from '../../api/resource.js';
import { parseSelector } from '../../machinery/labels.js';
import { parseFieldSelector } from '../../machinery/fields.js';
import { errors } from '../../machinery/status.js';
import type { RequestContext } from '../context.js';
import { query } from '../context.js';

export type ObjectFilter = ((object: KubeObject) => boolean) & { matchesEverything: boolean };

/**
 * The fields of an object a field selector may use. Remembered per object:
 * one watch event is matched against every watcher's selector (a node agent
 * each, watching `spec.nodeName`), and cached objects are never changed in
 * place, so the fields are computed once per object, not once per watcher.
 */
export function selectableFieldsOf(type: ResourceType, object: KubeObject): Record<string, string> {
  const known = fieldsByObject.get(object);
  if (known) return known;
  const fields: Record<string, string> = { 'metadata.name': object.metadata.name ?? '' };
  if (type.namespaced) fields['metadata.namespace'] = object.metadata.namespace ?? '';
  const all = type.selectableFields ? { ...fields, ...type.selectableFields(object) } : fields;
  fieldsByObject.set(object, all);
  return all;
}

const fieldsByObject = new WeakMap<KubeObject, Record<string, string>>();

const supportedFieldCache = new WeakMap<ResourceType, Set<string>>();

/** The set of field names a kind supports, found by asking it about an empty object. */
function supportedFields(type: ResourceType): Set<string> {
  let fields = supportedFieldCache.get(type);
  if (!fields) {
    const probe: KubeObject = { metadata: { name: '', namespace: '' }, spec: {}, status: {} };
    try {
      fields = new Set(Object.keys(selectableFieldsOf(type, probe)));
    } catch {
      fields = new Set(['metadata.name', 'metadata.namespace']);
    }
    supportedFieldCache.set(type, fields);
  }
  return fields;
}

export function filterFor(ctx: RequestContext, extraFieldSelector?: string): ObjectFilter {
  const labelText = query(ctx, 'labelSelector') ?? '';
  let fieldText = query(ctx, 'fieldSelector') ?? '';
  if (extraFieldSelector) fieldText = fieldText ? `${fieldText},${extraFieldSelector}` : extraFieldSelector;
  const labels = labelText.trim() ? parseSelector(labelText) : undefined;
  const fields = fieldText.trim() ? parseFieldSelector(fieldText) : undefined;
  if (fields) {
    const supported = supportedFields(ctx.type);
    for (const requirement of fields.requirements) {
      if (!supported.has(requirement.field)) {
        throw errors.badRequest(`field label not supported: ${requirement.field}`);
      }
    }
  }
  const type = ctx.type;
  const predicate = ((object: KubeObject) => {
    if (labels && !labels.matches(object.metadata.labels ?? {})) return false;
    if (fields && !fields.matches(selectableFieldsOf(type, object))) return false;
    return true;
  }) as ObjectFilter;
  predicate.matchesEverything = !labels && !fields;
  return predicate;
}
