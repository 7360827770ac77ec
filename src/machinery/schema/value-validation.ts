/**
 * Checking a custom resource against its CustomResourceDefinition's
 * structural schema, with the errors kube-apiserver v1.32 gives.
 *
 * Upstream runs kube-openapi's JSON-schema validator over the object and
 * turns each of its errors into a field error; the messages therefore come
 * in two voices, both kept here:
 *
 *   spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"
 *   spec.cronSpec: Required value
 *
 * The first half (`spec.replicas: Invalid value: "string"`) is the field
 * error; the second (`spec.replicas in body must be …`) is kube-openapi's
 * own text, which names the path again. Paths are dotted for properties and
 * map keys (`spec.labels.app`) and indexed for list items (`spec.ports[0]`).
 *
 * The checks of one schema node run in upstream's order: type; anyOf,
 * oneOf, allOf, not; string (maxLength, minLength, pattern — the first
 * failure only), format, number (multipleOf, minimum, maximum); array
 * (items, minItems, maxItems); enum; object (minProperties, maxProperties,
 * additional properties, properties, required). A wrong type does not stop
 * the others; a null value meets only the type and enum checks. An error
 * whose text was reported already is not reported again. Where upstream
 * walks a Go map (sibling properties), this walks the schema's order, so
 * the order of errors is stable.
 *
 * Not here (other modules, later): pruning and defaulting, which run
 * before this; embedded resources' ObjectMeta; `x-kubernetes-list-type`
 * duplicates; CEL rules (`x-kubernetes-validations`).
 */
import { field, type FieldErrorLike } from '../status.js';
import type { Schema } from './types.js';
import { formatChecker } from './value-formats.js';

/** One of kube-openapi's errors, before it becomes a field error. */
interface OpenApiError {
  /** How the apiserver turns it into a field error. */
  kind: 'type' | 'required' | 'enum' | 'tooLong' | 'tooMany' | 'invalid' | 'composite';
  /** kube-openapi's path (`spec.replicas`, `spec.ports[0]`; '' for the object itself). */
  path: string;
  /** kube-openapi's message, which names the path again. */
  message: string;
  value?: unknown;
  /** enum: the values allowed; tooLong / tooMany: the limit; tooMany: the count. */
  allowed?: unknown[];
  limit?: number;
  count?: number;
}

/** The JSON type of a value, as kube-openapi names it in a type error. */
function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'object') return 'object';
  return 'string';
}

/** Whether a value is of a schema type: an integral number is also a number, and (upstream's isFloatInt) 2.0 is an integer. */
function hasType(value: unknown, type: string): boolean {
  const actual = jsonType(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);
/** Go's %q of a string, close enough for paths and format names. */
const quoted = (text: string) => JSON.stringify(text);
/** Go's %v of a number: integers bare, others in the shortest form (1.5, 1e+06). */
function goNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  const text = String(value);
  return text.replace(/e\+?(-?)(\d)$/, (_, sign: string, digit: string) => `e${sign || '+'}0${digit}`).replace(/e\+?(-?)(\d\d+)$/, (_, sign: string, digits: string) => `e${sign || '+'}${digits}`);
}

class Validation {
  readonly errors: OpenApiError[] = [];
  private readonly seen = new Set<string>();

  add(error: OpenApiError): void {
    if (this.seen.has(error.message)) return;
    this.seen.add(error.message);
    this.errors.push(error);
  }

  addAll(errors: OpenApiError[]): void {
    for (const error of errors) this.add(error);
  }
}

/** The errors of one value against one schema (a fresh result: for the branches of anyOf/oneOf/allOf/not). */
function validateAlone(schema: Schema, value: unknown, path: string): OpenApiError[] {
  const result = new Validation();
  validateNode(schema, value, path, result);
  return result.errors;
}

function validateNode(schema: Schema, value: unknown, path: string, result: Validation): void {
  const name = path || 'body';
  const isNull = value === null || value === undefined;
  // Type. x-kubernetes-int-or-string makes it "integer or string"; nullable lets null through.
  const types = schema['x-kubernetes-int-or-string'] ? ['integer', 'string'] : schema.type ? [schema.type] : [];
  const nullAllowed = schema.nullable === true;
  if (types.length > 0 && !(isNull && nullAllowed) && !types.some((type) => hasType(value, type))) {
    const actual = jsonType(value);
    result.add({ kind: 'type', path, value: actual, message: `${name} in body must be of type ${types.join(',')}: ${quoted(actual)}` });
  }
  if (isNull) {
    checkEnum(schema, value, path, result);
    return;
  }
  checkComposites(schema, value, path, result);
  if (typeof value === 'string') checkString(schema, value, path, result);
  checkFormat(schema, value, path, result);
  if (typeof value === 'number') checkNumber(schema, value, path, result);
  if (Array.isArray(value)) checkArray(schema, value, path, result);
  checkEnum(schema, value, path, result);
  if (typeof value === 'object' && !Array.isArray(value)) checkObject(schema, value as Record<string, unknown>, path, result);
}

/** anyOf, oneOf, allOf, not — in that order, as upstream's validator runs them. */
function checkComposites(schema: Schema, value: unknown, path: string, result: Validation): void {
  const name = path || 'body';
  if (schema.anyOf?.length) {
    const branches = schema.anyOf.map((branch) => validateAlone(branch, value, path));
    if (!branches.some((errors) => errors.length === 0)) {
      result.add({ kind: 'composite', path, message: `${quoted(name)} must validate at least one schema (anyOf)` });
      // Then why the closest branch failed (upstream picks the branch that matched most; here, the one with the fewest errors).
      result.addAll(closest(branches));
    }
  }
  if (schema.oneOf?.length) {
    const branches = schema.oneOf.map((branch) => validateAlone(branch, value, path));
    const valid = branches.filter((errors) => errors.length === 0).length;
    if (valid === 0) {
      result.add({ kind: 'composite', path, message: `${quoted(name)} must validate one and only one schema (oneOf). Found none valid` });
      result.addAll(closest(branches));
    } else if (valid > 1) {
      result.add({ kind: 'composite', path, message: `${quoted(name)} must validate one and only one schema (oneOf). Found ${valid} valid alternatives` });
    }
  }
  if (schema.allOf?.length) {
    const branches = schema.allOf.map((branch) => validateAlone(branch, value, path));
    const failed = branches.filter((errors) => errors.length > 0);
    if (failed.length > 0) {
      for (const errors of failed) result.addAll(errors);
      result.add({ kind: 'composite', path, message: `${quoted(name)} must validate all the schemas (allOf)${failed.length === branches.length ? '. None validated' : ''}` });
    }
  }
  if (schema.not && validateAlone(schema.not, value, path).length === 0) {
    result.add({ kind: 'composite', path, message: `${quoted(name)} must not validate the schema (not)` });
  }
}

function closest(branches: OpenApiError[][]): OpenApiError[] {
  return branches.reduce((best, errors) => (errors.length < best.length ? errors : best));
}

/** maxLength, minLength, pattern: only the first that fails (lengths in characters, as Go's utf8.RuneCount). */
function checkString(schema: Schema, value: string, path: string, result: Validation): void {
  const name = path || 'body';
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    result.add({ kind: 'tooLong', path, value, limit: schema.maxLength, message: `${name} in body should be at most ${schema.maxLength} chars long` });
    return;
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    result.add({ kind: 'invalid', path, value, message: `${name} in body should be at least ${schema.minLength} chars long` });
    return;
  }
  if (schema.pattern !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(schema.pattern, 'u');
    } catch (err) {
      result.add({ kind: 'invalid', path, value, message: `${name} in body should match '${schema.pattern}, but pattern is invalid: ${(err as Error).message}'` });
      return;
    }
    if (!pattern.test(value)) result.add({ kind: 'invalid', path, value, message: `${name} in body should match '${schema.pattern}'` });
  }
}

/** A known format, checked on strings; a number on such a field is named by its Go type, as upstream does. */
function checkFormat(schema: Schema, value: unknown, path: string, result: Validation): void {
  if (!schema.format) return;
  const check = formatChecker(schema.format);
  if (!check || Array.isArray(value)) return;
  const name = path || 'body';
  if (typeof value === 'string') {
    if (!check(value)) result.add({ kind: 'type', path, value, message: `${name} in body must be of type ${schema.format}: ${quoted(value)}` });
    return;
  }
  if (schema.type !== 'string') return;
  const goType = typeof value === 'number' ? (Number.isInteger(value) ? 'int64' : 'float64') : '';
  result.add({ kind: 'type', path, value: goType, message: `${name} in body must be of type ${schema.format}: ${quoted(goType)}` });
}

/** multipleOf, minimum, maximum; an integer is compared with the limits made integers, as upstream. */
function checkNumber(schema: Schema, value: number, path: string, result: Validation): void {
  const name = path || 'body';
  const integral = Number.isInteger(value);
  const limit = (bound: number) => (integral ? Math.trunc(bound) : bound);
  if (schema.multipleOf !== undefined) {
    if (schema.multipleOf <= 0) {
      result.add({ kind: 'invalid', path, value, message: `factor MultipleOf declared for ${name} must be positive: ${goNumber(schema.multipleOf)}` });
    } else {
      const factor = limit(schema.multipleOf);
      const quotient = value / factor;
      if (factor === 0 || Math.abs(quotient - Math.round(quotient)) > 1e-9) result.add({ kind: 'invalid', path, value, message: `${name} in body should be a multiple of ${goNumber(factor)}` });
    }
  }
  if (schema.minimum !== undefined) {
    const min = limit(schema.minimum);
    if (schema.exclusiveMinimum ? value <= min : value < min) {
      result.add({ kind: 'invalid', path, value, message: `${name} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${goNumber(min)}` });
    }
  }
  if (schema.maximum !== undefined) {
    const max = limit(schema.maximum);
    if (schema.exclusiveMaximum ? value >= max : value > max) {
      result.add({ kind: 'invalid', path, value, message: `${name} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${goNumber(max)}` });
    }
  }
}

/** Each item, then minItems and maxItems (uniqueItems is refused in a CRD's schema, so never checked). */
function checkArray(schema: Schema, value: unknown[], path: string, result: Validation): void {
  const name = path || 'body';
  if (schema.items) value.forEach((item, index) => validateNode(schema.items!, item, `${path}[${index}]`, result));
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    result.add({ kind: 'invalid', path, value: value.length, message: `${name} in body should have at least ${schema.minItems} items` });
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    result.add({ kind: 'tooMany', path, count: value.length, limit: schema.maxItems, message: `${name} in body should have at most ${schema.maxItems} items` });
  }
}

/** enum: a value equal (as JSON) to one listed; null never matches, as upstream. */
function checkEnum(schema: Schema, value: unknown, path: string, result: Validation): void {
  if (!schema.enum?.length) return;
  const isNull = value === null || value === undefined;
  if (!isNull && schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) return;
  const name = path || 'body';
  result.add({ kind: 'enum', path, value: isNull ? 'null' : value, allowed: schema.enum, message: `${name} in body should be one of ${JSON.stringify(schema.enum)}` });
}

/** minProperties, maxProperties, map values, properties, required. */
function checkObject(schema: Schema, value: Record<string, unknown>, path: string, result: Validation): void {
  const name = path || 'body';
  const count = Object.keys(value).length;
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    result.add({ kind: 'invalid', path, value: count, message: `${name} in body should have at least ${schema.minProperties} properties` });
  }
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    result.add({ kind: 'tooMany', path, count, limit: schema.maxProperties, message: `${name} in body should have at most ${schema.maxProperties} properties` });
  }
  const properties = schema.properties ?? {};
  if (schema.additionalProperties) {
    for (const [key, item] of Object.entries(value)) {
      if (!(key in properties)) validateNode(schema.additionalProperties, item, child(path, key), result);
    }
  }
  for (const [key, propertySchema] of Object.entries(properties)) {
    if (key in value) validateNode(propertySchema, value[key], child(path, key), result);
  }
  for (const key of schema.required ?? []) {
    if (!(key in value)) result.add({ kind: 'required', path: child(path, key), message: `${child(path, key)} in body is required` });
  }
}

/** Go's strconv.Quote of an enum value, as the apiserver lists the supported ones. */
function supportedValue(allowed: unknown): string {
  return typeof allowed === 'string' ? allowed : JSON.stringify(allowed);
}

export interface CustomResourceValidationOptions {
  /**
   * The field path the schema's root stands for: none for a whole custom
   * resource (root errors then name the field `<nil>`, as upstream's nil
   * path prints), `status` when the status subresource's schema is checked
   * on its own (its messages stay relative to status).
   */
  root?: string;
}

/** The field errors of a custom resource (or its status) against its structural schema. */
export function validateCustomResourceValue(schema: Schema, value: unknown, options: CustomResourceValidationOptions = {}): FieldErrorLike[] {
  const result = new Validation();
  validateNode(schema, value, '', result);
  const root = options.root;
  const fieldOf = (path: string) => (root ? (path ? `${root}.${path}` : root) : path || '<nil>');
  return result.errors.map((error): FieldErrorLike => {
    const at = fieldOf(error.path);
    switch (error.kind) {
      case 'required':
        return field.required(at);
      case 'enum':
        return field.notSupported(at, error.value, (error.allowed ?? []).map(supportedValue));
      case 'tooLong':
        return field.tooLong(at, error.value, error.limit!);
      case 'tooMany':
        return field.tooMany(at, error.count!, error.limit!);
      case 'type':
        return field.typeInvalid(at, error.value ?? '', error.message);
      case 'composite':
        // Upstream reports these at the validated object's own path, with an empty value.
        return field.invalid(root ?? '<nil>', '', error.message);
      default:
        return field.invalid(at, error.value ?? '', error.message);
    }
  });
}
