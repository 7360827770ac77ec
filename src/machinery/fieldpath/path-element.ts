/**
 * One step of a path into an object, as server-side apply names fields
 * (structured-merge-diff's PathElement):
 *
 *   f:name      a struct field or a map key
 *   k:{…}       an item of a list of list-type map, by its key fields
 *   v:value     an item of a list of list-type set, by its value
 *   i:3         a list item by index (only ever read, never produced)
 *
 * and the order upstream keeps them in: fields, then keys, then values,
 * then indexes; names byte-wise, keys field by field, values by type
 * (numbers < strings < booleans < lists < maps < null) and then value.
 */

export type PathElement =
  | { kind: 'field'; name: string }
  | { kind: 'key'; fields: [string, unknown][] }
  | { kind: 'value'; value: unknown }
  | { kind: 'index'; index: number };

const kindOrder = { field: 0, key: 1, value: 2, index: 3 } as const;

function byteCompare(a: string, b: string): number {
  // UTF-16 order equals UTF-8 byte order except between surrogates and U+E000–U+FFFF: close enough for field names.
  return a < b ? -1 : a > b ? 1 : 0;
}

function valueRank(value: unknown): number {
  if (typeof value === 'number') return 0;
  if (typeof value === 'string') return 1;
  if (typeof value === 'boolean') return 2;
  if (Array.isArray(value)) return 3;
  if (value !== null && typeof value === 'object') return 4;
  return 5;
}

/** structured-merge-diff's value.Compare: by type, then by value (lists item by item, maps by sorted keys). */
export function compareValues(a: unknown, b: unknown): number {
  const rank = valueRank(a) - valueRank(b);
  if (rank !== 0) return rank;
  if (typeof a === 'number') return (a as number) - (b as number);
  if (typeof a === 'string') return byteCompare(a, b as string);
  if (typeof a === 'boolean') return Number(a) - Number(b);
  if (Array.isArray(a)) {
    const other = b as unknown[];
    for (let i = 0; i < Math.min(a.length, other.length); i++) {
      const item = compareValues(a[i], other[i]);
      if (item !== 0) return item;
    }
    return a.length - other.length;
  }
  if (a !== null && typeof a === 'object') {
    const left = Object.entries(a as Record<string, unknown>).sort(([x], [y]) => byteCompare(x, y));
    const right = Object.entries(b as Record<string, unknown>).sort(([x], [y]) => byteCompare(x, y));
    for (let i = 0; i < Math.min(left.length, right.length); i++) {
      const name = byteCompare(left[i][0], right[i][0]);
      if (name !== 0) return name;
      const item = compareValues(left[i][1], right[i][1]);
      if (item !== 0) return item;
    }
    return left.length - right.length;
  }
  return 0;
}

export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return kindOrder[a.kind] - kindOrder[b.kind];
  switch (a.kind) {
    case 'field':
      return byteCompare(a.name, (b as typeof a).name);
    case 'key': {
      const other = (b as typeof a).fields;
      for (let i = 0; i < Math.min(a.fields.length, other.length); i++) {
        const name = byteCompare(a.fields[i][0], other[i][0]);
        if (name !== 0) return name;
        const value = compareValues(a.fields[i][1], other[i][1]);
        if (value !== 0) return value;
      }
      return a.fields.length - other.length;
    }
    case 'value':
      return compareValues(a.value, (b as typeof a).value);
    case 'index':
      return a.index - (b as typeof a).index;
  }
}

/** Go's encoding/json with EscapeHTML and sorted map keys, as upstream writes the values inside `k:` and `v:`. */
export function goJson(value: unknown): string {
  const sortKeys = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sortKeys);
    if (item !== null && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([x], [y]) => byteCompare(x, y)).map(([k, v]) => [k, sortKeys(v)]));
    }
    return item;
  };
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The element as FieldsV1 names it (before it is written as a JSON object key). */
export function serializePathElement(element: PathElement): string {
  switch (element.kind) {
    case 'field':
      return `f:${element.name}`;
    case 'key':
      return `k:{${element.fields.map(([name, value]) => `${goJson(name)}:${goJson(value)}`).join(',')}}`;
    case 'value':
      return `v:${goJson(element.value)}`;
    case 'index':
      return `i:${element.index}`;
  }
}

/** The element a FieldsV1 key names; undefined for a prefix upstream does not know (dropped when read, as upstream drops it). */
export function parsePathElement(text: string): PathElement | undefined {
  const body = text.slice(2);
  switch (text.slice(0, 2)) {
    case 'f:':
      return { kind: 'field', name: body };
    case 'k:': {
      const fields = JSON.parse(body) as Record<string, unknown>;
      return { kind: 'key', fields: Object.entries(fields).sort(([x], [y]) => byteCompare(x, y)) };
    }
    case 'v:':
      return { kind: 'value', value: JSON.parse(body) };
    case 'i:':
      return /^\d+$/.test(body) ? { kind: 'index', index: Number(body) } : undefined;
    default:
      return undefined;
  }
}

/** A value as structured-merge-diff prints it in a path: strings quoted, lists and maps spelled out. */
function printValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(printValue).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).sort(([x], [y]) => byteCompare(x, y)).map(([k, v]) => `${k}=${printValue(v)}`).join(',')}}`;
  }
  return String(value);
}

/** A path as conflicts name it: `.spec.template.spec.containers[name="nginx"].image`, `[="a"]` for a set item, `[3]` for an index. */
export function formatPath(path: PathElement[]): string {
  return path
    .map((element) => {
      switch (element.kind) {
        case 'field':
          return `.${element.name}`;
        case 'key':
          return `[${element.fields.map(([name, value]) => `${name}=${printValue(value)}`).join(',')}]`;
        case 'value':
          return `[=${printValue(element.value)}]`;
        case 'index':
          return `[${element.index}]`;
      }
    })
    .join('');
}
