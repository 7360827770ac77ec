/**
 * A mutating webhook's JSON patch (RFC 6902), applied with machinery's
 * implementation under the limits upstream's apiserver sets for every JSON
 * patch it applies: `copy` operations may add at most 3 MiB together
 * (JSONPatchMaxCopyBytes), so that a few copies of a copy cannot grow an
 * object without bound. Each copy's source is measured in the document as it
 * is when that copy runs, so the patch is applied in runs that each end
 * before a copy; the runs cost a document copy each, and a patch whose runs
 * would copy more than a fixed amount is refused rather than worked through.
 */
import { isPlainObject } from '../../../machinery/object.js';
import { applyJsonPatch } from '../../../machinery/patch/index.js';
import { parsePointer } from '../../../machinery/patch/pointer.js';
import { jsonNestingExceeds } from '../../handlers/nesting-depth.js';

/** Upstream's default JSONPatchMaxCopyBytes. */
export const maxCopyBytes = 3 * 1024 * 1024;
/** What applying the runs of one patch may copy in all (each run copies the document once). */
const maxRunCopyBytes = 64 * 1024 * 1024;

/** A patch's operations, or an Error worded as Go's decoder words it. */
export function decodeJsonPatch(bytes: Buffer): unknown[] {
  if (jsonNestingExceeds(bytes)) throw new Error('exceeded max depth');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new Error((err as Error).message);
  }
  if (!Array.isArray(value)) throw new Error(`json: cannot unmarshal ${isPlainObject(value) ? 'object' : typeof value} into Go value of type jsonpatch.Patch`);
  return value;
}

/** The value a pointer names in a document, or undefined (the patch itself then reports the missing path). */
function valueAt(document: unknown, pointer: unknown): unknown {
  let node = document;
  let segments: string[];
  try {
    segments = parsePointer(pointer);
  } catch {
    return undefined;
  }
  for (const segment of segments) {
    if (Array.isArray(node)) node = /^(0|[1-9]\d*)$/.test(segment) ? node[Number(segment)] : undefined;
    else if (isPlainObject(node) && Object.hasOwn(node, segment)) node = node[segment];
    else return undefined;
  }
  return node;
}

function isCopy(operation: unknown): operation is { op: 'copy'; from: unknown } {
  return isPlainObject(operation) && operation.op === 'copy';
}

/** Applies the patch to a copy of `document`; throws machinery's patch errors or the copy limit's. */
export function applyWebhookPatch(document: unknown, operations: unknown[]): unknown {
  if (!operations.some(isCopy)) return applyJsonPatch(document, operations);
  let result = document;
  let copied = 0;
  let runCopies = 0;
  let start = 0;
  while (start < operations.length) {
    const first = operations[start];
    if (isCopy(first)) {
      const source = valueAt(result, first.from);
      copied += source === undefined ? 0 : Buffer.byteLength(JSON.stringify(source) ?? '');
      if (copied > maxCopyBytes) {
        throw new Error(`Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${maxCopyBytes}`);
      }
    }
    let end = start + 1;
    while (end < operations.length && !isCopy(operations[end])) end++;
    runCopies += Buffer.byteLength(JSON.stringify(result) ?? '');
    if (runCopies > maxRunCopyBytes) throw new Error(`json patch has too many copy operations for an object of this size (more than ${maxRunCopyBytes} bytes to work through)`);
    result = applyJsonPatch(result, operations.slice(start, end));
    start = end;
  }
  return result;
}
