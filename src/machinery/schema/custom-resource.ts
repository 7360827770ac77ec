/**
 * What the apiserver does to a custom resource's body on every write
 * before it stores it, in upstream's order: prune what the schema does not
 * describe, drop nulls that mean nothing, apply defaults, then check the
 * schema's keywords, the embedded resources and the set and map lists.
 * (CEL rules, once skiff has them, come last, and only when nothing above
 * failed.) The object is changed in place.
 */
import type { FieldErrorLike } from '../status.js';
import { validateEmbeddedResources } from './embedded-resources.js';
import { validateListTypes } from './list-types.js';
import { applyCustomResourceDefaults, dropNullsWithoutDefaults, pruneCustomResource } from './structural.js';
import type { Schema } from './types.js';
import { validateCustomResourceValue } from './value-validation.js';

export interface CustomResourceAdmission {
  /** The fields pruned, for `unknown field "spec.foo"` warnings (fieldValidation=Warn) or errors (Strict). */
  unknownFields: string[];
  /** The field errors, for a 422 Invalid. */
  errors: FieldErrorLike[];
}

export function admitCustomResource(object: Record<string, unknown>, schema: Schema): CustomResourceAdmission {
  const unknownFields = pruneCustomResource(object, schema);
  dropNullsWithoutDefaults(object, schema);
  applyCustomResourceDefaults(object, schema);
  const errors = [...validateCustomResourceValue(schema, object), ...validateEmbeddedResources(schema, object), ...validateListTypes(schema, object)];
  return { unknownFields, errors };
}
