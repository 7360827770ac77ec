/**
 * Label selectors: the `?labelSelector=` text of list and watch requests
 * (`app=web,tier!=db,env in (a,b),!legacy`) and the structured
 * `LabelSelector` of workload specs (matchLabels + matchExpressions) both
 * compile to one `Selector`, a list of requirements that must all hold.
 *
 * The grammar and error wording follow upstream's
 * k8s.io/apimachinery/pkg/labels parser, because clients show them verbatim.
 */
import { errors } from './status.js';
import { isQualifiedName, isValidLabelValue } from './validation.js';

export type Operator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export interface Selector {
  readonly requirements: readonly Requirement[];
  /** True when the selector selects everything (no requirements). */
  readonly empty: boolean;
  matches(labels: Record<string, string>): boolean;
  toString(): string;
}

/** The structured selector of workload specs (`spec.selector`). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has) return false;
      const actual = Number.parseInt(value!, 10);
      const limit = Number.parseInt(r.values[0], 10);
      if (!/^-?\d+$/.test(value!) || Number.isNaN(limit)) return false;
      return r.operator === 'gt' ? actual > limit : actual < limit;
    }
  }
}

function requirementText(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

export function selectorOf(requirements: Requirement[]): Selector {
  // Upstream sorts requirements by key so that equal selectors print alike.
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: sorted,
    empty: sorted.length === 0,
    matches: (labels) => sorted.every((r) => requirementMatches(r, labels)),
    toString: () => sorted.map(requirementText).join(','),
  };
}

/** A selector that matches every object. */
export const everything: Selector = selectorOf([]);

/** A selector that matches no object (a nil LabelSelector in some APIs). */
export const nothing: Selector = {
  requirements: [],
  empty: false,
  matches: () => false,
  toString: () => '<none>',
};

function invalid(message: string): never {
  throw errors.badRequest(`unable to parse requirement: ${message}`);
}

function checkKey(key: string): void {
  const problems = isQualifiedName(key);
  if (problems.length > 0) invalid(`key: Invalid value: ${JSON.stringify(key)}: ${problems.join('; ')}`);
}

function checkValue(value: string, index: number, key: string): void {
  const problems = isValidLabelValue(value);
  if (problems.length > 0) invalid(`values[${index}][${key}]: Invalid value: ${JSON.stringify(value)}: ${problems.join('; ')}`);
}

// ---- the text grammar -------------------------------------------------------

type Token =
  | { kind: 'identifier'; text: string }
  | { kind: 'comma' | 'open' | 'close' | 'not' | 'eq' | 'deq' | 'neq' | 'gt' | 'lt' | 'in' | 'notin' | 'end'; text: string };

/** Characters that end an identifier. */
const specialChars = new Set([' ', '\t', '\n', '\r', ',', '(', ')', '!', '=', '<', '>']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '==') tokens.push({ kind: 'deq', text: two });
    else if (two === '!=') tokens.push({ kind: 'neq', text: two });
    if (two === '==' || two === '!=') {
      i += 2;
      continue;
    }
    const single: Record<string, Token['kind']> = { ',': 'comma', '(': 'open', ')': 'close', '!': 'not', '=': 'eq', '>': 'gt', '<': 'lt' };
    if (single[c]) {
      tokens.push({ kind: single[c], text: c } as Token);
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !specialChars.has(text[j])) j++;
    const word = text.slice(i, j);
    if (word === 'in') tokens.push({ kind: 'in', text: word });
    else if (word === 'notin') tokens.push({ kind: 'notin', text: word });
    else tokens.push({ kind: 'identifier', text: word });
    i = j;
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

/**
 * Parses label selector text. Throws a 400 StatusError (BadRequest) on bad
 * syntax, an invalid key or an invalid value.
 */
export function parseSelector(text: string): Selector {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const requirements: Requirement[] = [];

  const parseValueList = (key: string): string[] => {
    if (next().kind !== 'open') invalid(`found '${tokens[pos - 1].text}', expected: '('`);
    const values: string[] = [];
    // An empty value is allowed in a set: `key in (a,)` or `key in ()`.
    for (;;) {
      const token = peek();
      if (token.kind === 'close') {
        pos++;
        if (values.length === 0) values.push('');
        break;
      }
      if (token.kind === 'identifier' || token.kind === 'in' || token.kind === 'notin') {
        values.push(token.text);
        pos++;
        const after = next();
        if (after.kind === 'close') break;
        if (after.kind !== 'comma') invalid(`found '${after.text}', expected: ',' or ')'`);
        if (peek().kind === 'close') {
          values.push('');
        }
        continue;
      }
      if (token.kind === 'comma') {
        values.push('');
        pos++;
        continue;
      }
      invalid(`found '${token.text}', expected: ',', ')' or identifier`);
    }
    values.forEach((v, i) => checkValue(v, i, key));
    return [...new Set(values)].sort();
  };

  for (;;) {
    let token = next();
    if (token.kind === 'end') break;
    let negated = false;
    if (token.kind === 'not') {
      negated = true;
      token = next();
    }
    if (token.kind !== 'identifier') invalid(`found '${token.text}', expected: !, identifier, or 'end of string'`);
    const key = token.text;
    checkKey(key);
    const op = peek();
    if (negated) {
      if (op.kind !== 'comma' && op.kind !== 'end') invalid(`found '${op.text}', expected: ',' or 'end of string'`);
      requirements.push({ key, operator: '!', values: [] });
    } else if (op.kind === 'comma' || op.kind === 'end') {
      requirements.push({ key, operator: 'exists', values: [] });
    } else {
      pos++;
      switch (op.kind) {
        case 'in':
        case 'notin':
          requirements.push({ key, operator: op.kind, values: parseValueList(key) });
          break;
        case 'eq':
        case 'deq':
        case 'neq': {
          const value = peek();
          let text = '';
          if (value.kind === 'identifier' || value.kind === 'in' || value.kind === 'notin') {
            text = value.text;
            pos++;
          } else if (value.kind !== 'comma' && value.kind !== 'end') {
            invalid(`found '${value.text}', expected: identifier`);
          }
          checkValue(text, 0, key);
          requirements.push({ key, operator: op.kind === 'eq' ? '=' : op.kind === 'deq' ? '==' : '!=', values: [text] });
          break;
        }
        case 'gt':
        case 'lt': {
          const value = next();
          if (value.kind !== 'identifier' || !/^-?\d+$/.test(value.text)) {
            invalid(`for 'Gt', 'Lt' operators, the value must be an integer`);
          }
          requirements.push({ key, operator: op.kind, values: [value.text] });
          break;
        }
        default:
          invalid(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== 'comma') invalid(`found '${sep.text}', expected: ',' or 'end of string'`);
  }
  return selectorOf(requirements);
}

// ---- the structured LabelSelector ------------------------------------------

/**
 * Converts a spec's LabelSelector to a Selector. An absent selector selects
 * nothing; an empty one (`{}`) selects everything, as upstream's
 * LabelSelectorAsSelector does.
 */
export function selectorFromLabelSelector(selector: LabelSelector | undefined | null): Selector {
  if (!selector) return nothing;
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, operator: '=', values: [value] });
  }
  for (const expression of selector.matchExpressions ?? []) {
    switch (expression.operator) {
      case 'In':
        requirements.push({ key: expression.key, operator: 'in', values: [...(expression.values ?? [])].sort() });
        break;
      case 'NotIn':
        requirements.push({ key: expression.key, operator: 'notin', values: [...(expression.values ?? [])].sort() });
        break;
      case 'Exists':
        requirements.push({ key: expression.key, operator: 'exists', values: [] });
        break;
      case 'DoesNotExist':
        requirements.push({ key: expression.key, operator: '!', values: [] });
        break;
      default:
        throw errors.badRequest(`${JSON.stringify(expression.operator)} is not a valid label selector operator`);
    }
  }
  return selectorOf(requirements);
}

/** The text form of a LabelSelector (`app=web,tier in (a,b)`), as a scale's `status.selector` shows it. */
export function formatLabelSelector(selector: LabelSelector | undefined | null): string {
  if (!selector) return '';
  return selectorFromLabelSelector(selector).toString();
}

/** Whether `labels` satisfy a spec's LabelSelector. */
export function labelSelectorMatches(selector: LabelSelector | undefined | null, labels: Record<string, string> | undefined): boolean {
  return selectorFromLabelSelector(selector).matches(labels ?? {});
}
