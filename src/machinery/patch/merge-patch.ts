/**
 * JSON Merge Patch (RFC 7386): the patch looks like the object; objects
 * merge key by key, `null` deletes a key, anything else (lists included)
 * replaces. `kubectl patch --type=merge` and patches of custom resources use it.
 */
import { deepCopy, isPlainObject } from '../object.js';

/** Returns a new document; neither input is changed or shared with the result. */
export function applyMergePatch(document: unknown, patch: unknown): unknown {
  return merge(deepCopy(document), patch);
}

/**
 * The same, changing `document` (which the caller owns) instead of copying
 * it: what a megabyte object's patch needs, where copying costs more than merging.
 */
export function applyMergePatchInPlace(document: unknown, patch: unknown): unknown {
  return merge(document, patch);
}

/** Merges `patch` into `target`, which the caller owns. */
function merge(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return deepCopy(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = merge(result[key], value);
  }
  return result;
}
