/** Tiny helpers for handling objects as loosely typed JSON. */
import { isPlainObject } from '../../machinery/object.js';

export type Obj = Record<string, any>;

/** Like isPlainObject, but narrows to a map of `any` so nested fields read without casts. */
export function isObj(value: unknown): value is Obj {
  return isPlainObject(value);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0) || (isPlainObject(value) && Object.keys(value).length === 0);
}

/**
 * Semantic equality as upstream's apiequality.Semantic: key order does not
 * matter, and a missing list or map equals an empty one.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}
