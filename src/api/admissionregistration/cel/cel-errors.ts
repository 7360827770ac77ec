/**
 * CEL errors in upstream's words. cel-js reports a compile problem as its own
 * code and summary; cel-go (which kube-apiserver uses) words the common ones
 * differently, and users and tools match on cel-go's text, so those are
 * translated: an unknown variable, a field a typed object does not declare,
 * and an operator with no overload for its operand types. The rest keep
 * cel-js's summary in cel-go's frame (`ERROR: <input>:line:column: …`).
 */

interface SourceRange {
  start: number;
  end: number;
}

/** The parts of a cel-js ParseError or TypeError this file reads. */
interface CelCompileError {
  name?: string;
  code?: string;
  summary?: string;
  message?: string;
  node?: { pos?: number; op?: string; args?: unknown; range?: SourceRange };
}

const binaryOperators: Record<string, string> = {
  '==': '_==_', '!=': '_!=_', '<': '_<_', '<=': '_<=_', '>': '_>_', '>=': '_>=_',
  '+': '_+_', '-': '_-_', '*': '_*_', '/': '_/_', '%': '_%_', in: '@in',
};

/** A cel-js type as cel-go prints it: `list<int>` → `list(int)`, `null` → `null_type`. */
export function celGoTypeName(type: string): string {
  const generic = /^(list|map|optional)<(.*)>$/.exec(type.trim());
  if (generic) {
    const name = generic[1] === 'optional' ? 'optional_type' : generic[1];
    return `${name}(${splitTypeArguments(generic[2]).map(celGoTypeName).join(', ')})`;
  }
  return type === 'null' ? 'null_type' : type;
}

/** Splits `string, list<int>` at its top-level commas. */
export function splitTypeArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '<') depth++;
    else if (text[i] === '>') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** cel-go's frame: the message, the expression's line, and a caret under the column. */
export function frameError(expression: string, position: number, message: string): string {
  const at = Math.max(0, Math.min(position, expression.length));
  const before = expression.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1);
  const text = expression.split('\n')[line - 1] ?? '';
  return `ERROR: <input>:${line}:${column + 1}: ${message}\n | ${text}\n | ${'.'.repeat(column)}^`;
}

/** Where a binary operator's token is: between its operands (cel-go points there). */
function operatorPosition(expression: string, node: NonNullable<CelCompileError['node']>, operator: string): number {
  const [left, right] = Array.isArray(node.args) ? (node.args as { range?: SourceRange }[]) : [];
  if (left?.range && right?.range) {
    const found = expression.slice(left.range.end, right.range.start).indexOf(operator);
    if (found >= 0) return left.range.end + found;
  }
  return Number(node.pos ?? 0);
}

/** `map<string, int> == int` → the two operand types, split at the operator outside any `<…>`. */
function operandTypes(text: string, operator: string): [string, string] | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '<') depth++;
    else if (text[i] === '>') depth--;
    else if (depth === 0 && text.startsWith(` ${operator} `, i)) return [text.slice(0, i), text.slice(i + operator.length + 2)];
  }
  return undefined;
}

/** The problem of a cel-js compile error in cel-go's words, framed (no `compilation failed:` prefix). */
export function describeCompileError(expression: string, error: unknown): string {
  const err = (error ?? {}) as CelCompileError;
  const summary = err.summary ?? (err.message ?? String(error)).split('\n')[0];
  const node = err.node;
  let position = Number(node?.pos ?? 0);
  let message = summary;
  if (err.name === 'ParseError') {
    message = `Syntax error: ${summary}`;
  } else if (err.code === 'unknown_variable') {
    const name = /Unknown variable: (.*)$/.exec(summary)?.[1] ?? '';
    message = `undeclared reference to '${name}' (in container '')`;
  } else if (/^No such key: /.test(summary) && (node?.op === '.' || node?.op === '.?')) {
    // A field a typed object does not declare; cel-go points at the dot before it.
    message = `undefined field '${summary.slice('No such key: '.length)}'`;
    position = Math.max(0, position - 1);
  } else if (err.code === 'no_such_overload' && node?.op && binaryOperators[node.op]) {
    const types = operandTypes(summary.replace(/^no such overload: /, ''), node.op);
    if (types) {
      message = `found no matching overload for '${binaryOperators[node.op]}' applied to '(${celGoTypeName(types[0])}, ${celGoTypeName(types[1])})'`;
      position = operatorPosition(expression, node, node.op);
    }
  }
  return frameError(expression, position, message);
}
