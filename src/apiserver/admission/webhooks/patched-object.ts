/**
 * A patched object made whole again, as upstream's decode of the patched
 * JSON into the kind makes it: wrong JSON types are an internal error (the
 * webhook broke the object), fields the kind does not know are dropped (a
 * custom resource's by its structural schema), quantities canonical, and the
 * kind's defaults applied. Objects of a subresource's own kind (a Scale) are
 * taken as they are.
 */
import type { KubeObject } from '../../../machinery/object.js';
import { isPlainObject } from '../../../machinery/object.js';
import { ObjectMetaSchema } from '../../../machinery/schema/meta.js';
import { applyCustomResourceDefaults, pruneCustomResource } from '../../../machinery/schema/structural.js';
import { canonicalizeQuantities, checkTypes, formatTypeError, pruneUnknownFields } from '../../../machinery/schema/validate.js';
import { errors, type StatusError } from '../../../machinery/status.js';
import { apiVersionOf, type RequestView } from './versions.js';

function typeError(view: RequestView, message: string): StatusError {
  return errors.internal(`${view.kind.kind} in version "${view.kind.version}" cannot be handled as a ${view.kind.kind}: ${message}`);
}

/** Returns the object to continue with, or throws an internal error. */
export function completePatchedObject(patched: unknown, view: RequestView, webhookName: string): KubeObject {
  if (!isPlainObject(patched)) throw typeError(view, `json: cannot unmarshal ${Array.isArray(patched) ? 'array' : typeof patched} into Go value of type ${view.kind.kind}`);
  const object = patched as KubeObject;
  const apiVersion = apiVersionOf(view.kind);
  if ((object.apiVersion !== undefined && object.apiVersion !== apiVersion) || (object.kind !== undefined && object.kind !== view.kind.kind)) {
    throw errors.internal(`admission webhook ${JSON.stringify(webhookName)} changed the object's type to ${String(object.apiVersion)}, Kind=${String(object.kind)}`);
  }
  if (object.metadata === undefined || object.metadata === null) object.metadata = {};
  const type = view.type;
  if (!type) {
    if (!isPlainObject(object.metadata)) throw typeError(view, `json: cannot unmarshal ${Array.isArray(object.metadata) ? 'array' : typeof object.metadata} into Go struct field ${view.kind.kind}.metadata of type v1.ObjectMeta`);
    return object;
  }
  const custom = type.customResource;
  const [problem] = custom ? checkTypes(object.metadata, ObjectMetaSchema).map((e) => ({ ...e, path: e.path ? `metadata.${e.path}` : 'metadata' })) : checkTypes(object, type.schema);
  if (problem) throw errors.internal(formatTypeError(type.kind, type.version, problem));
  if (!isPlainObject(object.metadata)) object.metadata = {};
  if (custom) {
    pruneUnknownFields(object.metadata, ObjectMetaSchema);
    pruneCustomResource(object, custom.structuralSchema);
    applyCustomResourceDefaults(object, custom.structuralSchema);
  } else {
    pruneUnknownFields(object, type.schema);
    canonicalizeQuantities(object, type.schema);
    type.defaults?.(object);
  }
  return object;
}
