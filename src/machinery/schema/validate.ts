/**
 * Checking a decoded request body against a kind's schema, the way
 * upstream's JSON decoder into Go structs behaves:
 *
 * - a value of the wrong JSON type is an error (`json: cannot unmarshal
 *   string into Go struct field DeploymentSpec.spec.replicas of type int32`),
 *   reported as a 400 by the apiserver;
 * - unknown and duplicate fields are collected, so that field validation
 *   (Strict / Warn / Ignore) can reject them, warn about them or drop them;
 * - pruning then removes unknown fields and nulls, because a Go struct has
 *   nowhere to keep them: what is stored is what the schema describes.
 *
 * Strict parsing of JSON and YAML reports duplicate keys with their path,
 * which JSON.parse silently resolves to the last value.
 */
import { isMap, isSeq, isScalar, parseDocument, type Node as YamlNode } from 'yaml';
import { errors } from '../status.js';
import { tryParseQuantity, formatQuantity } from '../quantity.js';
import type { Schema } from './types.js';

export interface SchemaTypeError {
  /** Dotted path of the offending field (`spec.replicas`, `spec.containers[0].name`). */
  path: string;
  /** What the body held: `string`, `number`, `number 1.5`, `bool`, `array`, `object`. */
  actual: string;
  /** The Go type the schema describes, for the message (`int32`, `v1.PodSpec`, `[]string`). */
  goType: string;
  /** The Go struct holding the field (`DeploymentSpec`). */
  struct: string;
}

/** Everything below this schema is free-form. */
function isOpen(schema: Schema): boolean {
  return schema['x-kubernetes-preserve-unknown-fields'] === true;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function structName(schema: Schema, fallback: string): string {
  if (!schema.definitionName) return fallback;
  const parts = schema.definitionName.split('.');
  return parts[parts.length - 1];
}

function goTypeOf(schema: Schema): string {
  if (schema['x-kubernetes-int-or-string']) return schema.format === 'quantity' ? 'resource.Quantity' : 'intstr.IntOrString';
  switch (schema.type) {
    case 'integer':
      return schema.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return schema.format === 'date-time' ? 'v1.Time' : schema.format === 'byte' ? '[]uint8' : 'string';
    case 'array':
      return `[]${schema.items ? goTypeOf(schema.items) : 'interface {}'}`;
    case 'object': {
      if (schema.definitionName) {
        const parts = schema.definitionName.split('.');
        return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
      }
      if (schema.additionalProperties) return `map[string]${goTypeOf(schema.additionalProperties)}`;
      return 'struct';
    }
    default:
      return 'interface {}';
  }
}

function describeJson(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

/** Whether `value` (not null) fits `schema`'s JSON type. */
function typeMismatch(value: unknown, schema: Schema): string | undefined {
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value === 'string') return undefined;
    if (typeof value === 'number') return Number.isInteger(value) || schema.format === 'quantity' ? undefined : `number ${value}`;
    return describeJson(value);
  }
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' ? undefined : describeJson(value);
    case 'integer':
      if (typeof value !== 'number') return describeJson(value);
      return Number.isInteger(value) ? undefined : `number ${value}`;
    case 'number':
      return typeof value === 'number' ? undefined : describeJson(value);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : describeJson(value);
    case 'array':
      return Array.isArray(value) ? undefined : describeJson(value);
    case 'object':
      return typeof value === 'object' && !Array.isArray(value) ? undefined : describeJson(value);
    default:
      return undefined;
  }
}

/** Every place where the body's JSON type does not match the schema. */
export function checkTypes(value: unknown, schema: Schema): SchemaTypeError[] {
  const found: SchemaTypeError[] = [];
  const visit = (node: unknown, nodeSchema: Schema, path: string, struct: string): void => {
    if (node === null || node === undefined) return;
    const actual = typeMismatch(node, nodeSchema);
    if (actual) {
      found.push({ path, actual, goType: goTypeOf(nodeSchema), struct });
      return;
    }
    if (isOpen(nodeSchema)) return;
    if (Array.isArray(node)) {
      if (nodeSchema.items) node.forEach((item, i) => visit(item, nodeSchema.items!, `${path}[${i}]`, struct));
      return;
    }
    if (typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    if (nodeSchema.properties) {
      const inner = structName(nodeSchema, struct);
      for (const [key, child] of Object.entries(object)) {
        const childSchema = nodeSchema.properties[key];
        if (childSchema) visit(child, childSchema, join(path, key), inner);
      }
    } else if (nodeSchema.additionalProperties) {
      // Go reports a map element's error at the map field itself.
      for (const child of Object.values(object)) {
        if (child === null) continue;
        const mismatch = typeMismatch(child, nodeSchema.additionalProperties);
        if (mismatch) {
          found.push({ path, actual: mismatch, goType: goTypeOf(nodeSchema.additionalProperties), struct });
          continue;
        }
        visit(child, nodeSchema.additionalProperties, path, struct);
      }
    }
  };
  visit(value, schema, '', structName(schema, ''));
  return found;
}

/** Upstream's message for a body that cannot be decoded into the kind. */
export function formatTypeError(kind: string, version: string, error: SchemaTypeError): string {
  const where = error.path ? ` into Go struct field ${error.struct}.${error.path}` : ` into Go value`;
  return `${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal ${error.actual}${where} of type ${error.goType}`;
}

/** Paths of fields the schema does not know (`spec.template.spec.containers[0].imagePullPolice`). */
export function findUnknownFields(value: unknown, schema: Schema): string[] {
  const found: string[] = [];
  const visit = (node: unknown, nodeSchema: Schema, path: string): void => {
    if (node === null || typeof node !== 'object' || isOpen(nodeSchema)) return;
    if (Array.isArray(node)) {
      if (nodeSchema.items) node.forEach((item, i) => visit(item, nodeSchema.items!, `${path}[${i}]`));
      return;
    }
    const object = node as Record<string, unknown>;
    if (nodeSchema.properties) {
      for (const [key, child] of Object.entries(object)) {
        const childSchema = nodeSchema.properties[key];
        if (childSchema) visit(child, childSchema, join(path, key));
        else found.push(join(path, key));
      }
    } else if (nodeSchema.additionalProperties) {
      for (const [key, child] of Object.entries(object)) visit(child, nodeSchema.additionalProperties, join(path, key));
    }
  };
  visit(value, schema, '');
  return found;
}

/** The zero value Go would decode a JSON null into, inside maps and lists. */
function zeroValue(schema: Schema): unknown {
  switch (schema.type) {
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default:
      return {};
  }
}

/**
 * Go drops empty maps and lists of `omitempty` fields when it writes JSON, so
 * upstream never stores `labels: {}` or `finalizers: []`. Optional fields are
 * (nearly always) `omitempty`; required ones keep their empty value.
 */
function isEmptyOptionalCollection(value: unknown, schema: Schema, required: boolean): boolean {
  if (required || isOpen(schema)) return false;
  if (Array.isArray(value)) return value.length === 0;
  return schema.additionalProperties !== undefined && typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** Removes unknown fields, null-valued struct fields and empty optional maps and lists, in place. */
export function pruneUnknownFields(value: unknown, schema: Schema): void {
  if (value === null || typeof value !== 'object' || isOpen(schema)) return;
  if (Array.isArray(value)) {
    if (!schema.items) return;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null) value[i] = zeroValue(schema.items);
      else pruneUnknownFields(value[i], schema.items);
    }
    return;
  }
  const object = value as Record<string, unknown>;
  if (schema.properties) {
    for (const key of Object.keys(object)) {
      const childSchema = schema.properties[key];
      if (!childSchema || object[key] === null || object[key] === undefined) delete object[key];
      else {
        pruneUnknownFields(object[key], childSchema);
        if (isEmptyOptionalCollection(object[key], childSchema, schema.required?.includes(key) ?? false)) delete object[key];
      }
    }
  } else if (schema.additionalProperties) {
    for (const key of Object.keys(object)) {
      if (object[key] === null) object[key] = zeroValue(schema.additionalProperties);
      else pruneUnknownFields(object[key], schema.additionalProperties);
    }
  }
}

/**
 * Rewrites every valid quantity (`format: quantity`) to its canonical text,
 * in place, as upstream does by decoding into resource.Quantity and encoding
 * back: `cpu: 1000m` is stored as `cpu: "1"`. Invalid ones stay for
 * validation to report.
 */
export function canonicalizeQuantities(value: unknown, schema: Schema): void {
  if (value === null || typeof value !== 'object' || isOpen(schema)) return;
  const fix = (holder: Record<string, unknown> | unknown[], key: string | number, childSchema: Schema): void => {
    const child = (holder as Record<string | number, unknown>)[key];
    if (childSchema.format === 'quantity' && (typeof child === 'string' || typeof child === 'number')) {
      const parsed = tryParseQuantity(String(child));
      if (parsed) (holder as Record<string | number, unknown>)[key] = formatQuantity(parsed);
    } else {
      canonicalizeQuantities(child, childSchema);
    }
  };
  if (Array.isArray(value)) {
    if (schema.items) for (let i = 0; i < value.length; i++) fix(value, i, schema.items);
    return;
  }
  const object = value as Record<string, unknown>;
  if (schema.properties) {
    for (const key of Object.keys(object)) if (schema.properties[key]) fix(object, key, schema.properties[key]);
  } else if (schema.additionalProperties) {
    for (const key of Object.keys(object)) fix(object, key, schema.additionalProperties);
  }
}

// ---- strict parsing ---------------------------------------------------------

export interface StrictParseResult {
  value: unknown;
  /** Paths of keys that appeared more than once in one object. */
  duplicates: string[];
}

/**
 * Finds duplicate keys in already-valid JSON text with one linear scan.
 * JSON.parse does the real parsing; this only tracks keys per object.
 */
function findJsonDuplicates(text: string): string[] {
  // Quick exit: most bodies have no object with two equal keys, but we cannot
  // know without scanning; the scan is cheap next to the parse itself.
  const duplicates: string[] = [];
  type Frame = { kind: 'object'; path: string; keys: Set<string>; key?: string } | { kind: 'array'; path: string; index: number };
  const stack: Frame[] = [];
  let expectKey = false;
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.kind === 'array') return `${top.path}[${top.index}]`;
    return join(top.path, top.key ?? '');
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let hasEscape = false;
      while (j < text.length && text.charCodeAt(j) !== 0x22) {
        if (text.charCodeAt(j) === 0x5c) {
          hasEscape = true;
          j++;
        }
        j++;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.kind === 'object') {
        const key = hasEscape ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) duplicates.push(join(top.path, key));
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      stack.push({ kind: 'object', path: childPath(), keys: new Set() });
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push({ kind: 'array', path: childPath(), index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.kind === 'object') expectKey = true;
      else if (top?.kind === 'array') top.index++;
    }
  }
  return duplicates;
}

/** Parses JSON, reporting duplicate keys; a 400 StatusError on bad syntax. */
export function parseJsonStrict(text: string): StrictParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  return { value, duplicates: findJsonDuplicates(text) };
}

function yamlDuplicates(node: YamlNode | null | undefined, path: string, out: string[]): void {
  if (!node) return;
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (seen.has(key)) out.push(join(path, key));
      seen.add(key);
      yamlDuplicates(pair.value as YamlNode, join(path, key), out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => yamlDuplicates(item as YamlNode, `${path}[${i}]`, out));
  }
}

/**
 * How much aliases may expand (the yaml package's maxAliasCount: nodes
 * reached through aliases): a few kilobytes of anchors and aliases can
 * otherwise expand to gigabytes (the "billion laughs"). Upstream's YAML
 * decoder refuses such documents too ("document contains excessive aliasing").
 */
export const maxYamlAliasCount = 100;

/** Parses one YAML document, reporting duplicate keys; a 400 StatusError on bad syntax. */
export function parseYamlStrict(text: string): StrictParseResult {
  const document = parseDocument(text, { uniqueKeys: false, merge: true });
  if (document.errors.length > 0) {
    throw errors.badRequest(`error converting YAML to JSON: ${document.errors[0].message}`);
  }
  const duplicates: string[] = [];
  yamlDuplicates(document.contents as YamlNode, '', duplicates);
  try {
    return { value: document.toJS({ maxAliasCount: maxYamlAliasCount }), duplicates };
  } catch (err) {
    // The yaml package throws a ReferenceError for an alias bomb (aliases
    // expanding past the limit) and for an alias to an unknown anchor.
    if (!(err instanceof ReferenceError)) throw err;
    const reason = err.message.startsWith('Excessive alias count') ? 'document contains excessive aliasing' : err.message;
    throw errors.badRequest(`error converting YAML to JSON: yaml: ${reason}`);
  }
}
