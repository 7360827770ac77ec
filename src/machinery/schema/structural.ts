/**
 * What happens to a custom resource's body before it is validated and
 * stored, as the apiextensions-apiserver does it with a CRD's structural
 * schema, in this order:
 *
 * 1. prune — fields the schema does not describe are removed (and their
 *    paths reported, for `fieldValidation=Warn|Strict`), except below
 *    `x-kubernetes-preserve-unknown-fields`, where unknown fields stay but
 *    known properties are still pruned. The resource's root, and every
 *    `x-kubernetes-embedded-resource`, keeps `apiVersion`, `kind` (strings)
 *    and `metadata` (an object; an embedded one keeps only ObjectMeta's
 *    fields);
 * 2. drop nulls — a null property or map value whose schema is neither
 *    nullable nor has a default is removed (then `required` reports it);
 * 3. default — a missing property with a `default` gets a copy of it, and
 *    so does a null one that is not nullable; map values and list items
 *    likewise; defaults apply on every read from storage too.
 *
 * Unlike the built-in kinds' pruning (validate.ts), nothing here imitates
 * a Go struct: empty maps and lists stay, and nulls where they are allowed.
 */
import { isPlainObject } from '../object.js';
import { ObjectMetaSchema } from './meta.js';
import type { Schema } from './types.js';
import { pruneUnknownFields } from './validate.js';

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** The schema of a key of an object: its property, else the map's value schema, else none (unknown). */
function schemaOfKey(schema: Schema, key: string): Schema | undefined {
  return schema.properties?.[key] ?? schema.additionalProperties;
}

/** apiVersion and kind (strings) and metadata (an object) of an embedded resource or the root stay whatever the schema says. */
function isResourceField(schema: Schema, key: string, value: unknown): boolean {
  if (!schema['x-kubernetes-embedded-resource']) return false;
  if (key === 'apiVersion' || key === 'kind') return typeof value === 'string';
  return key === 'metadata' && isPlainObject(value);
}

function prune(value: unknown, schema: Schema | undefined, path: string, unknown: string[], embeddedMetadata: boolean): void {
  if (schema?.['x-kubernetes-preserve-unknown-fields']) return pruneBelowKnown(value, schema, path, unknown, embeddedMetadata);
  if (Array.isArray(value)) {
    value.forEach((item, index) => prune(item, schema?.items, `${path}[${index}]`, unknown, true));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const keyPath = child(path, key);
    if (schema && isResourceField(schema, key, value[key])) {
      // An embedded resource's metadata keeps ObjectMeta's fields only; the root's is the apiserver's to handle.
      if (key === 'metadata' && embeddedMetadata) pruneUnknownFields(value[key], ObjectMetaSchema);
      continue;
    }
    const keySchema = schema ? schemaOfKey(schema, key) : undefined;
    if (keySchema) {
      prune(value[key], keySchema, keyPath, unknown, true);
    } else {
      unknown.push(keyPath);
      delete value[key];
    }
  }
}

/** Below x-kubernetes-preserve-unknown-fields: unknown fields stay, known properties are pruned by their own schemas. */
function pruneBelowKnown(value: unknown, schema: Schema, path: string, unknown: string[], embeddedMetadata: boolean): void {
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, index) => pruneBelowKnown(item, schema.items!, `${path}[${index}]`, unknown, true));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    if (isResourceField(schema, key, value[key])) {
      if (key === 'metadata' && embeddedMetadata) pruneUnknownFields(value[key], ObjectMetaSchema);
      continue;
    }
    const keySchema = schemaOfKey(schema, key);
    if (keySchema) prune(value[key], keySchema, child(path, key), unknown, true);
  }
}

/**
 * Removes, in place, what a custom resource's schema does not describe;
 * returns the removed fields' paths (`spec.foo`, `spec.items[0].bar`), for
 * upstream's `unknown field "spec.foo"` warnings and Strict errors.
 */
export function pruneCustomResource(value: unknown, schema: Schema): string[] {
  const unknown: string[] = [];
  // The resource's root is an embedded resource: apiVersion, kind and metadata always stay.
  prune(value, { ...schema, 'x-kubernetes-embedded-resource': true }, '', unknown, false);
  return unknown;
}

const nonNullableNull = (value: unknown, schema: Schema | undefined) => (value === null || value === undefined) && schema !== undefined && schema.nullable !== true;

/** Removes, in place, null properties and map values that may not be null and have no default to take their place. */
export function dropNullsWithoutDefaults(value: unknown, schema: Schema | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    for (const item of value) dropNullsWithoutDefaults(item, schema.items);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const keySchema = schemaOfKey(schema, key);
    if (!keySchema) continue;
    if (nonNullableNull(value[key], keySchema) && keySchema.default === undefined) delete value[key];
    else dropNullsWithoutDefaults(value[key], keySchema);
  }
}

/** Applies, in place, the schema's defaults: missing properties, and nulls that may not be null, get a copy of theirs. */
export function applyCustomResourceDefaults(value: unknown, schema: Schema | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    if (!schema.items) return;
    for (let index = 0; index < value.length; index++) {
      if (nonNullableNull(value[index], schema.items) && schema.items.default !== undefined) value[index] = structuredClone(schema.items.default);
      applyCustomResourceDefaults(value[index], schema.items);
    }
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (property.default === undefined || property.default === null) continue;
    if (!(key in value) || nonNullableNull(value[key], property)) value[key] = structuredClone(property.default);
  }
  for (const key of Object.keys(value)) {
    const property = schema.properties?.[key];
    if (property) {
      applyCustomResourceDefaults(value[key], property);
    } else if (schema.additionalProperties) {
      const values = schema.additionalProperties;
      if (nonNullableNull(value[key], values) && values.default !== undefined) value[key] = structuredClone(values.default);
      applyCustomResourceDefaults(value[key], values);
    }
  }
}

const withDefaults = new WeakMap<Schema, boolean>();

/** Whether a schema declares any default (remembered per schema): only then is reading an object worth defaulting. */
export function hasDefaults(schema: Schema | undefined): boolean {
  if (!schema) return false;
  const known = withDefaults.get(schema);
  if (known !== undefined) return known;
  const found =
    schema.default !== undefined ||
    Object.values(schema.properties ?? {}).some(hasDefaults) ||
    hasDefaults(schema.additionalProperties) ||
    hasDefaults(schema.items);
  withDefaults.set(schema, found);
  return found;
}
