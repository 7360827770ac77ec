/**
 * Field selectors: `?fieldSelector=metadata.name=web,status.phase!=Running`.
 * Only equality and inequality exist, and only on the few fields each kind
 * declares selectable (checked by the apiserver). Values may escape `\`, `,`
 * and `=` with a backslash, as upstream's k8s.io/apimachinery/pkg/fields does.
 */
import { errors } from './status.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  matches(fields: Record<string, string>): boolean;
  toString(): string;
}

/** Splits on commas that are not escaped with a backslash. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === ',') {
      terms.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  terms.push(current);
  return terms;
}

function unescape(value: string, whole: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const next = value[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') {
        throw errors.badRequest(`invalid field selector: invalid escape sequence in '${whole}'`);
      }
      out += next;
      i++;
    } else if (c === ',' || c === '=') {
      throw errors.badRequest(`invalid field selector: unescaped '${c}' in value of '${whole}'`);
    } else {
      out += c;
    }
  }
  return out;
}

/** Finds the first unescaped occurrence of `op` in `term`. */
function indexOfOperator(term: string, op: string): number {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    if (term.startsWith(op, i)) return i;
  }
  return -1;
}

function render(r: FieldRequirement): string {
  const escaped = r.value.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
  return `${r.field}${r.operator}${escaped}`;
}

export function fieldSelectorOf(requirements: FieldRequirement[]): FieldSelector {
  return {
    requirements,
    empty: requirements.length === 0,
    matches: (fields) => requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator === '=')),
    toString: () => requirements.map(render).join(','),
  };
}

/** Parses field selector text; a 400 StatusError on bad syntax. */
export function parseFieldSelector(text: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const raw of splitTerms(text)) {
    const term = raw.trim();
    if (term === '') continue;
    // Longest operators first so `a!=b` is not read as `a!` = `b`.
    let matched = false;
    for (const [op, operator] of [['!=', '!='], ['==', '='], ['=', '=']] as const) {
      const at = indexOfOperator(term, op);
      if (at < 0) continue;
      const fieldName = term.slice(0, at).trim();
      if (fieldName === '') break;
      requirements.push({ field: fieldName, operator, value: unescape(term.slice(at + op.length).trim(), term) });
      matched = true;
      break;
    }
    if (!matched) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
  }
  return fieldSelectorOf(requirements);
}
