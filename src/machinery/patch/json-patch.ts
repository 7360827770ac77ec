/**
 * JSON Patch (RFC 6902): a list of operations — add, remove, replace, move,
 * copy, test — each addressing a place in the document by JSON Pointer.
 * `kubectl patch --type=json` sends these. The operations apply in order to
 * a copy; if any fails, the whole patch fails and nothing changes.
 */
import { deepCopy, isPlainObject, jsonEqual } from '../object.js';
import { malformedPatch, unappliablePatch } from './errors.js';
import { parsePointer } from './pointer.js';

type Container = Record<string, unknown> | unknown[];

interface Operation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** Array index of a segment; `-` means one past the end when allowed. */
function indexOf(segment: string, array: unknown[], allowEnd: boolean, path: string): number {
  if (segment === '-' && allowEnd) return array.length;
  if (!/^(0|[1-9]\d*)$/.test(segment)) throw unappliablePatch(`invalid array index "${segment}" in path "${path}"`);
  const index = Number(segment);
  const limit = allowEnd ? array.length : array.length - 1;
  if (index > limit) throw unappliablePatch(`array index ${index} out of bounds in path "${path}"`);
  return index;
}

/** The container holding the last segment of `path`. */
function parentOf(document: unknown, segments: string[], path: string): Container {
  let node = document;
  for (const segment of segments.slice(0, -1)) {
    if (Array.isArray(node)) node = node[indexOf(segment, node, false, path)];
    else if (isPlainObject(node) && Object.hasOwn(node, segment)) node = node[segment];
    else throw unappliablePatch(`doc is missing path: "${path}"`);
  }
  if (!Array.isArray(node) && !isPlainObject(node)) throw unappliablePatch(`doc is missing path: "${path}"`);
  return node;
}

function get(document: unknown, path: string): unknown {
  let node = document;
  for (const segment of parsePointer(path)) {
    if (Array.isArray(node)) node = node[indexOf(segment, node, false, path)];
    else if (isPlainObject(node) && Object.hasOwn(node, segment)) node = node[segment];
    else throw unappliablePatch(`doc is missing path: "${path}"`);
  }
  return node;
}

/** Returns the new document (the root may be replaced by `add`/`replace` at ""). */
function add(document: unknown, path: string, value: unknown): unknown {
  const segments = parsePointer(path);
  if (segments.length === 0) return value;
  const parent = parentOf(document, segments, path);
  const last = segments[segments.length - 1];
  if (Array.isArray(parent)) parent.splice(indexOf(last, parent, true, path), 0, value);
  else parent[last] = value;
  return document;
}

function remove(document: unknown, path: string): unknown {
  const segments = parsePointer(path);
  if (segments.length === 0) throw unappliablePatch('cannot remove the whole document');
  const parent = parentOf(document, segments, path);
  const last = segments[segments.length - 1];
  if (Array.isArray(parent)) parent.splice(indexOf(last, parent, false, path), 1);
  else if (Object.hasOwn(parent, last)) delete parent[last];
  else throw unappliablePatch(`Unable to remove nonexistent key: ${last}: missing value`);
  return document;
}

function replace(document: unknown, path: string, value: unknown): unknown {
  const segments = parsePointer(path);
  if (segments.length === 0) return value;
  const parent = parentOf(document, segments, path);
  const last = segments[segments.length - 1];
  if (Array.isArray(parent)) parent[indexOf(last, parent, false, path)] = value;
  else if (Object.hasOwn(parent, last)) parent[last] = value;
  else throw unappliablePatch(`replace operation does not apply: doc is missing key: ${path}: missing value`);
  return document;
}

function checkOperation(raw: unknown, i: number): Operation {
  if (!isPlainObject(raw)) throw malformedPatch(`json patch operation ${i} is not an object`);
  const { op, path } = raw;
  if (typeof op !== 'string') throw malformedPatch(`json patch operation ${i}: missing "op"`);
  if (typeof path !== 'string') throw malformedPatch(`json patch operation ${i}: missing "path"`);
  if (['add', 'replace', 'test'].includes(op) && !Object.hasOwn(raw, 'value')) {
    throw malformedPatch(`json patch operation ${i} (${op}): missing "value"`);
  }
  if (['move', 'copy'].includes(op) && typeof raw.from !== 'string') throw malformedPatch(`json patch operation ${i} (${op}): missing "from"`);
  return raw as unknown as Operation;
}

export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw malformedPatch('json patch must be a list of operations');
  const operations = patch.map(checkOperation);
  let result = deepCopy(document);
  for (const operation of operations) {
    switch (operation.op) {
      case 'add':
        result = add(result, operation.path, deepCopy(operation.value));
        break;
      case 'remove':
        result = remove(result, operation.path);
        break;
      case 'replace':
        result = replace(result, operation.path, deepCopy(operation.value));
        break;
      case 'move': {
        if (operation.path.startsWith(`${operation.from}/`)) throw unappliablePatch(`cannot move "${operation.from}" into its own child "${operation.path}"`);
        const value = get(result, operation.from!);
        result = remove(result, operation.from!);
        result = add(result, operation.path, value);
        break;
      }
      case 'copy':
        result = add(result, operation.path, deepCopy(get(result, operation.from!)));
        break;
      case 'test':
        if (!jsonEqual(get(result, operation.path), operation.value)) {
          throw unappliablePatch(`testing value ${operation.path} failed: test failed`);
        }
        break;
      default:
        throw malformedPatch(`Unexpected kind: ${operation.op}`);
    }
  }
  return result;
}

