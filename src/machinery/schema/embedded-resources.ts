/**
 * `x-kubernetes-embedded-resource` in a custom resource: an object that is
 * itself a Kubernetes object (a Pod template, a RawExtension made typed)
 * must say its `apiVersion` and `kind`, and its `metadata` must be valid
 * ObjectMeta — checked as the apiextensions-apiserver checks them, with its
 * messages. Names there are checked as path segments (no `/`, `%`, `.`,
 * `..`) and may be empty (a template often has none); a namespace is
 * allowed but not required. The resource's own root is the apiserver's
 * ordinary ObjectMeta validation, not this.
 */
import { field, type FieldErrorLike } from '../status.js';
import { isPlainObject, type ObjectMeta } from '../object.js';
import { isDNS1035Label, isPathSegmentName, validateObjectMeta } from '../validation.js';
import type { Schema } from './types.js';


function checkTypeField(value: Record<string, unknown>, key: 'apiVersion' | 'kind', path: string, errors: FieldErrorLike[]): string | undefined {
  const at = `${path}.${key}`;
  if (!(key in value) || value[key] === null) {
    errors.push(field.required(at, 'must not be empty'));
    return undefined;
  }
  const text = value[key];
  if (typeof text !== 'string') {
    errors.push(field.invalid(at, text, 'must be a string'));
    return undefined;
  }
  if (text === '') {
    errors.push(field.invalid(at, text, 'must not be empty'));
    return undefined;
  }
  return text;
}

function checkEmbedded(value: Record<string, unknown>, path: string, errors: FieldErrorLike[]): void {
  const apiVersion = checkTypeField(value, 'apiVersion', path, errors);
  if (apiVersion !== undefined && apiVersion.split('/').length > 2) {
    errors.push(field.invalid(`${path}.apiVersion`, apiVersion, `unexpected GroupVersion string: ${apiVersion}`));
  }
  const kind = checkTypeField(value, 'kind', path, errors);
  if (kind !== undefined) {
    for (const message of isDNS1035Label(kind.toLowerCase())) errors.push(field.invalid(`${path}.kind`, kind, `may have mixed case, but should otherwise match: ${message}`));
  }
  if (isPlainObject(value.metadata)) {
    const meta = { ...(value.metadata as ObjectMeta) };
    // A template may have no name: upstream checks it under a stand-in one.
    if (!meta.name) meta.name = 'fakename';
    errors.push(...validateObjectMeta(meta, { namespaced: Boolean(meta.namespace), nameValidator: isPathSegmentName }, `${path}.metadata`));
  }
}

function walk(schema: Schema | undefined, value: unknown, path: string, errors: FieldErrorLike[], isRoot: boolean): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(schema.items, item, `${path}[${index}]`, errors, false));
    return;
  }
  if (!isPlainObject(value)) return;
  if (schema['x-kubernetes-embedded-resource'] && !isRoot) checkEmbedded(value, path, errors);
  for (const [key, item] of Object.entries(value)) {
    const property = schema.properties?.[key];
    if (property) walk(property, item, path ? `${path}.${key}` : key, errors, false);
    else if (schema.additionalProperties) walk(schema.additionalProperties, item, `${path}[${key}]`, errors, false);
  }
}

/** The field errors of the embedded resources a custom resource holds. */
export function validateEmbeddedResources(schema: Schema, value: unknown): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  walk(schema, value, '', errors, true);
  return errors;
}
