/**
 * The CEL environment Kubernetes expressions run in: the CEL language from
 * @marcbachmann/cel-js (parser, type checker, macros, optionals, the
 * standard functions and the strings extension), plus the libraries
 * Kubernetes adds (lists, regex, quantity, url here; ip, cidr and format in
 * net-and-format.ts). CRD
 * validation rules use it with `self` and `oldSelf`; admission policies will
 * use it with their own variables.
 */
import { Environment } from '@marcbachmann/cel-js';
import { declareNetworkAndFormatLibraries } from './net-and-format.js';
import { addQuantities, compareQuantities, formatQuantity, parseQuantity, quantityValue, tryParseQuantity, type Quantity } from '../quantity.js';

/** Structural limits of an expression, near upstream's (its parser's recursion limit is 250). */
const limits = { maxAstNodes: 100_000, maxDepth: 250, maxListElements: 10_000, maxMapEntries: 10_000, maxCallArguments: 32 };

class CelQuantity {
  constructor(readonly quantity: Quantity) {}
}

class CelUrl {
  constructor(readonly url: URL) {}
}

const compareValues = (a: unknown, b: unknown): number => {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error('list elements must be comparable');
};

function quantityOf(text: string): CelQuantity {
  const parsed = tryParseQuantity(text);
  if (!parsed) throw new Error(`invalid quantity: ${JSON.stringify(text)}`);
  return new CelQuantity(parsed);
}

function urlOf(text: string): CelUrl {
  // Kubernetes' url() takes absolute URIs and absolute paths.
  try {
    return new CelUrl(text.startsWith('/') ? new URL(text, 'relative:///') : new URL(text));
  } catch {
    throw new Error(`URL parse error during conversion from string: ${text}`);
  }
}

/**
 * `kubernetesEnvironment(variables)`, made on the first call of the function
 * returned (then `extend`ed once). Registering the libraries costs
 * milliseconds, and the modules that keep an environment load with the
 * apiserver: declared this way, only a server that compiles an expression
 * pays for it.
 */
export function lazyKubernetesEnvironment(variables: (string | Record<string, string>)[], extend?: (env: Environment) => void): () => Environment {
  let env: Environment | undefined;
  return () => {
    if (env === undefined) {
      env = kubernetesEnvironment(variables);
      extend?.(env);
    }
    return env;
  };
}

/**
 * A new environment declaring `variables` with the Kubernetes libraries:
 * each is dyn, or of the type given (`{ oldSelf: 'optional<dyn>' }`).
 */
export function kubernetesEnvironment(variables: (string | Record<string, string>)[]): Environment {
  const env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits });
  for (const variable of variables) {
    if (typeof variable === 'string') env.registerVariable(variable, 'dyn');
    else for (const [name, type] of Object.entries(variable)) env.registerVariable(name, type);
  }

  // Kubernetes lists library.
  env
    .registerFunction('list.isSorted(): bool', (list: unknown[]) => list.every((item, i) => i === 0 || compareValues(list[i - 1], item) <= 0))
    .registerFunction('list.sum(): dyn', (list: unknown[]) => list.reduce((sum: unknown, item) => (sum === undefined ? item : typeof item === 'bigint' ? (sum as bigint) + item : (sum as number) + (item as number)), undefined) ?? 0n)
    .registerFunction('list.min(): dyn', (list: unknown[]) => {
      if (list.length === 0) throw new Error('min called on empty list');
      return list.reduce((min, item) => (compareValues(item, min) < 0 ? item : min));
    })
    .registerFunction('list.max(): dyn', (list: unknown[]) => {
      if (list.length === 0) throw new Error('max called on empty list');
      return list.reduce((max, item) => (compareValues(item, max) > 0 ? item : max));
    })
    .registerFunction('list.indexOf(dyn): int', (list: unknown[], value: unknown) => BigInt(list.findIndex((item) => item === value || JSON.stringify(item, bigintJson) === JSON.stringify(value, bigintJson))))
    .registerFunction('list.lastIndexOf(dyn): int', (list: unknown[], value: unknown) => {
      for (let i = list.length - 1; i >= 0; i--) if (JSON.stringify(list[i], bigintJson) === JSON.stringify(value, bigintJson)) return BigInt(i);
      return -1n;
    });

  // Kubernetes regex library.
  env
    .registerFunction('string.find(string): string', (text: string, pattern: string) => new RegExp(pattern, 'u').exec(text)?.[0] ?? '')
    .registerFunction('string.findAll(string): list<string>', (text: string, pattern: string) => [...text.matchAll(new RegExp(pattern, 'gu'))].map((m) => m[0]))
    .registerFunction('string.findAll(string, int): list<string>', (text: string, pattern: string, limit: bigint) => {
      const all = [...text.matchAll(new RegExp(pattern, 'gu'))].map((m) => m[0]);
      return limit < 0n ? all : all.slice(0, Number(limit));
    });

  // Strings extension beyond the library's own.
  env
    .registerFunction('string.charAt(int): string', (text: string, index: bigint) => {
      const chars = [...text];
      if (index < 0n || index > BigInt(chars.length)) throw new Error(`index out of range: ${index}`);
      return chars[Number(index)] ?? '';
    })
    .registerFunction('string.replace(string, string): string', (text: string, from: string, to: string) => text.split(from).join(to))
    .registerFunction('string.replace(string, string, int): string', (text: string, from: string, to: string, count: bigint) => {
      if (count < 0n) return text.split(from).join(to);
      let out = text;
      let start = 0;
      for (let n = 0n; n < count; n++) {
        const at = out.indexOf(from, start);
        if (at < 0) break;
        out = out.slice(0, at) + to + out.slice(at + from.length);
        start = at + to.length;
      }
      return out;
    })
    .registerFunction('string.reverse(): string', (text: string) => [...text].reverse().join(''));

  // Kubernetes quantity library.
  env
    .registerType('Quantity', CelQuantity)
    .registerFunction('quantity(string): Quantity', quantityOf)
    .registerFunction('isQuantity(string): bool', (text: string) => tryParseQuantity(text) !== undefined)
    .registerFunction('Quantity.isInteger(): bool', (q: CelQuantity) => Number.isInteger(quantityValue(q.quantity)))
    .registerFunction('Quantity.asInteger(): int', (q: CelQuantity) => {
      const value = quantityValue(q.quantity);
      if (!Number.isInteger(value)) throw new Error('cannot convert value to integer');
      return BigInt(value);
    })
    .registerFunction('Quantity.asApproximateFloat(): double', (q: CelQuantity) => quantityValue(q.quantity))
    .registerFunction('Quantity.sign(): int', (q: CelQuantity) => BigInt(Math.sign(quantityValue(q.quantity))))
    .registerFunction('Quantity.compareTo(Quantity): int', (a: CelQuantity, b: CelQuantity) => BigInt(Math.sign(compareQuantities(a.quantity, b.quantity))))
    .registerFunction('Quantity.isLessThan(Quantity): bool', (a: CelQuantity, b: CelQuantity) => compareQuantities(a.quantity, b.quantity) < 0)
    .registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: CelQuantity, b: CelQuantity) => compareQuantities(a.quantity, b.quantity) > 0)
    .registerFunction('Quantity.add(Quantity): Quantity', (a: CelQuantity, b: CelQuantity) => new CelQuantity(addQuantities(a.quantity, b.quantity)))
    .registerFunction('Quantity.add(int): Quantity', (a: CelQuantity, b: bigint) => new CelQuantity(addQuantities(a.quantity, parseQuantity(String(b)))))
    .registerFunction('Quantity.sub(Quantity): Quantity', (a: CelQuantity, b: CelQuantity) => new CelQuantity(addQuantities(a.quantity, negate(b.quantity))))
    .registerFunction('Quantity.sub(int): Quantity', (a: CelQuantity, b: bigint) => new CelQuantity(addQuantities(a.quantity, parseQuantity(String(-b)))))
    .registerFunction('string(Quantity): string', (q: CelQuantity) => formatQuantity(q.quantity));

  // Kubernetes URL library.
  env
    .registerType('URL', CelUrl)
    .registerFunction('url(string): URL', urlOf)
    .registerFunction('isURL(string): bool', (text: string) => {
      try {
        urlOf(text);
        return true;
      } catch {
        return false;
      }
    })
    .registerFunction('URL.getScheme(): string', (u: CelUrl) => (u.url.protocol === 'relative:' ? '' : u.url.protocol.slice(0, -1)))
    .registerFunction('URL.getHost(): string', (u: CelUrl) => u.url.host)
    .registerFunction('URL.getHostname(): string', (u: CelUrl) => u.url.hostname.replace(/^\[|\]$/g, ''))
    .registerFunction('URL.getPort(): string', (u: CelUrl) => u.url.port)
    .registerFunction('URL.getEscapedPath(): string', (u: CelUrl) => u.url.pathname)
    .registerFunction('URL.getQuery(): map<string, list<string>>', (u: CelUrl) => {
      const query = new Map<string, string[]>();
      for (const [key, value] of u.url.searchParams) query.set(key, [...(query.get(key) ?? []), value]);
      return query;
    });
  declareNetworkAndFormatLibraries(env);
  return env;
}

function negate(quantity: Quantity): Quantity {
  return parseQuantity(formatQuantity(quantity).startsWith('-') ? formatQuantity(quantity).slice(1) : `-${formatQuantity(quantity)}`);
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}
