/**
 * The JSONPath that CRDs' printer columns speak (`.spec.cronSpec`,
 * `.spec.containers[*].image`, `.status.conditions[?(@.type=="Ready")].status`),
 * as kubectl's and client-go's jsonpath read it: fields, quoted fields,
 * indexes and slices, the `*` wildcard, recursive descent `..`, and filters
 * comparing a path with a literal (or testing that it exists). Missing keys
 * give no result rather than an error, as the apiserver's table convertor
 * allows them.
 */

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'recursive' }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'filter'; path: Step[]; operator?: string; literal?: unknown };

export class JsonPathError extends Error {}

/** A compiled path; `find` gives every value it reaches, in document order. */
export interface JsonPath {
  find(value: unknown): unknown[];
}

/** Compiles `.a.b[0]`, or the same inside braces (`{.a.b}`), as printer columns and `kubectl -o jsonpath` write it. */
export function compileJsonPath(text: string): JsonPath {
  let source = text.trim();
  if (source.startsWith('{') && source.endsWith('}')) source = source.slice(1, -1).trim();
  if (source.startsWith('$')) source = source.slice(1);
  // A path may start without a dot: `spec.replicas`.
  if (/^[A-Za-z_]/.test(source)) source = `.${source}`;
  const steps = parseSteps(source, 0, source.length, text);
  return { find: (value) => evaluate(steps, [value]) };
}

function parseSteps(source: string, from: number, to: number, whole: string): Step[] {
  const steps: Step[] = [];
  let i = from;
  const fail = (why: string): never => {
    throw new JsonPathError(`invalid JSONPath ${JSON.stringify(whole)}: ${why}`);
  };
  while (i < to) {
    const char = source[i];
    if (char === '.') {
      if (source[i + 1] === '.') {
        // The second dot starts the field that follows: `..image`.
        steps.push({ kind: 'recursive' });
        i += 1;
        continue;
      }
      i++;
      let end = i;
      while (end < to && /[A-Za-z0-9_\-$/]/.test(source[end])) end++;
      const name = source.slice(i, end);
      if (name === '' && source[i] === '*') {
        steps.push({ kind: 'wildcard' });
        i++;
        continue;
      }
      if (name === '') {
        if (i >= to || source[i] === '[') continue;
        fail(`unexpected ${JSON.stringify(source[i])}`);
      }
      steps.push({ kind: 'field', name });
      i = end;
      continue;
    }
    if (char === '[') {
      const close = matchingBracket(source, i, to);
      if (close < 0) fail('unclosed [');
      steps.push(parseBracket(source.slice(i + 1, close).trim(), whole, fail));
      i = close + 1;
      continue;
    }
    fail(`unexpected ${JSON.stringify(char)}`);
  }
  return steps;
}

function matchingBracket(source: string, open: number, to: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < to; i++) {
    const char = source[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '[') depth++;
    else if (char === ']' && --depth === 0) return i;
  }
  return -1;
}

function parseBracket(inner: string, whole: string, fail: (why: string) => never): Step {
  if (inner === '*') return { kind: 'wildcard' };
  if (inner.startsWith('?(') && inner.endsWith(')')) return parseFilter(inner.slice(2, -1).trim(), whole, fail);
  const quoted = /^(['"])(.*)\1$/.exec(inner);
  if (quoted) return { kind: 'field', name: quoted[2] };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const slice = /^(-?\d*):(-?\d*)(?::(-?\d*))?$/.exec(inner);
  if (slice) {
    const number = (text: string | undefined) => (text ? Number(text) : undefined);
    return { kind: 'slice', start: number(slice[1]), end: number(slice[2]), step: number(slice[3]) };
  }
  return fail(`unsupported [${inner}]`);
}

function parseFilter(expression: string, whole: string, fail: (why: string) => never): Step {
  const match = /^@((?:\.[A-Za-z0-9_\-$/]+|\[[^\]]*\])*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$/.exec(expression);
  if (!match) return fail(`unsupported filter ${expression}`);
  const path = match[1] ? parseSteps(match[1], 0, match[1].length, whole) : [];
  if (!match[2]) return { kind: 'filter', path };
  return { kind: 'filter', path, operator: match[2], literal: parseLiteral(match[3].trim(), fail) };
}

function parseLiteral(text: string, fail: (why: string) => never): unknown {
  const quoted = /^(['"])(.*)\1$/.exec(text);
  if (quoted) return quoted[2];
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'nil' || text === 'null') return null;
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return fail(`unsupported literal ${text}`);
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') return Object.values(value);
  return [];
}

function descendants(value: unknown): unknown[] {
  const all: unknown[] = [value];
  for (const child of children(value)) all.push(...descendants(child));
  return all;
}

function compare(left: unknown, operator: string, right: unknown): boolean {
  switch (operator) {
    case '==':
      return left === right || (typeof left === 'number' && typeof right === 'string' && String(left) === right);
    case '!=':
      return !compare(left, '==', right);
    default: {
      if (typeof left !== typeof right || (typeof left !== 'number' && typeof left !== 'string')) return false;
      const [a, b] = [left as number | string, right as number | string];
      return operator === '<' ? a < b : operator === '>' ? a > b : operator === '<=' ? a <= b : a >= b;
    }
  }
}

function step(values: unknown[], current: Step): unknown[] {
  const out: unknown[] = [];
  for (const value of values) {
    switch (current.kind) {
      case 'field':
        if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, current.name)) {
          out.push((value as Record<string, unknown>)[current.name]);
        }
        break;
      case 'wildcard':
        out.push(...children(value));
        break;
      case 'recursive':
        out.push(...descendants(value));
        break;
      case 'index':
        if (Array.isArray(value)) {
          const index = current.index < 0 ? value.length + current.index : current.index;
          if (index >= 0 && index < value.length) out.push(value[index]);
        }
        break;
      case 'slice':
        if (Array.isArray(value)) {
          const length = value.length;
          const clamp = (n: number) => Math.min(Math.max(n < 0 ? length + n : n, 0), length);
          const start = clamp(current.start ?? 0);
          const end = clamp(current.end ?? length);
          const by = current.step && current.step > 0 ? current.step : 1;
          for (let i = start; i < end; i += by) out.push(value[i]);
        }
        break;
      case 'filter':
        for (const item of Array.isArray(value) ? value : [value]) {
          const found = evaluate(current.path, [item]);
          if (current.operator === undefined ? found.length > 0 : found.some((left) => compare(left, current.operator!, current.literal))) out.push(item);
        }
        break;
    }
  }
  return out;
}

function evaluate(steps: Step[], values: unknown[]): unknown[] {
  return steps.reduce(step, values);
}

/** A value as jsonpath prints it in a template: strings bare, everything else as JSON. */
export function printJsonPathValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}
