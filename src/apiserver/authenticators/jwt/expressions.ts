/**
 * The CEL side of JWT authentication (upstream's
 * k8s.io/apiserver/pkg/authentication/cel): claim expressions see `claims`
 * (a map of the token's claims), user validation rules see `user` (a
 * kubernetes.UserInfo: username, uid, groups, extra). Expressions are
 * type-checked when the configuration is read; each evaluation runs under
 * upstream's per-call cost limit, so a rule looping over a long claim list
 * cannot hold the apiserver.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { lazyKubernetesEnvironment } from '../../../machinery/cel/environment.js';
import { meteredList, perCallLimit, withinCost } from '../../../machinery/cel/cost.js';

export type ExpressionVariable = 'claims' | 'user';

export interface CompiledExpression {
  expression: string;
  ast: ASTNode;
  evaluate: (variables: Record<string, unknown>) => unknown;
}

const claimsEnvironment = lazyKubernetesEnvironment([{ claims: 'map<string, dyn>' }]);
const userEnvironment = lazyKubernetesEnvironment([], (env) => {
  env.registerType({
    name: 'kubernetes.UserInfo',
    schema: { username: 'string', uid: 'string', groups: 'list<string>', extra: 'map<string, list<string>>' },
  } as Parameters<typeof env.registerType>[0]);
  env.registerVariable('user', 'kubernetes.UserInfo');
});

interface CelError {
  name?: string;
  message?: string;
  summary?: string;
  node?: { pos?: number };
  range?: { start?: number };
}

/** upstream's compile error text: `ERROR: <input>:line:column: message`, the line, and a caret under the column. */
function compileErrorText(expression: string, err: CelError): string {
  const position = Math.max(0, Math.min(expression.length, Number(err.node?.pos ?? err.range?.start ?? 0)));
  const before = expression.slice(0, position);
  const line = before.split('\n').length;
  const column = position - (before.lastIndexOf('\n') + 1);
  const text = expression.split('\n')[line - 1] ?? '';
  let message = (err.summary ?? err.message ?? String(err)).split('\n')[0];
  // cel-go's words for the mistakes people make most.
  const unknownVariable = /^Unknown variable: (.+)$/.exec(message);
  const unknownField = /^No such key: (.+)$/.exec(message);
  if (unknownVariable) message = `undeclared reference to '${unknownVariable[1]}' (in container '')`;
  else if (unknownField) message = `undefined field '${unknownField[1]}'`;
  else if (err.name === 'ParseError') message = `Syntax error: ${message}`;
  return `compilation failed: ERROR: <input>:${line}:${column + 1}: ${message}\n | ${text}\n | ${'.'.repeat(column)}^`;
}

/**
 * Compiles an expression over `variable`; `returns: 'bool'` requires its
 * checked type to be bool (as upstream, `claims.admin` is dyn and refused:
 * write `claims.admin == true`). Returns upstream's error detail when it
 * does not compile.
 */
export function compileExpression(expression: string, variable: ExpressionVariable, returns: 'bool' | 'any'): CompiledExpression | { error: string } {
  const environment = variable === 'claims' ? claimsEnvironment() : userEnvironment();
  let program: ReturnType<typeof environment.parse>;
  try {
    program = environment.parse(expression);
  } catch (err) {
    return { error: compileErrorText(expression, err as CelError) };
  }
  const checked = program.check();
  if (!checked.valid) return { error: compileErrorText(expression, (checked.error ?? {}) as CelError) };
  if (returns === 'bool' && checked.type !== 'bool') return { error: 'must evaluate to bool' };
  return { expression, ast: program.ast, evaluate: (variables) => program(variables) };
}

/**
 * Runs a compiled expression within upstream's per-call cost limit; an
 * error says which expression failed, as upstream's mapper does.
 */
export function evaluateExpression(compiled: CompiledExpression, variables: Record<string, unknown>): unknown {
  try {
    return withinCost(perCallLimit, () => compiled.evaluate(variables)).result;
  } catch (err) {
    throw new Error(`expression '${compiled.expression}' resulted in error: ${((err as Error).message ?? String(err)).split('\n')[0]}`);
  }
}

/**
 * Whether the expression reads `<operand>.<field>` (or `<operand>.?<field>`)
 * anywhere: the check upstream uses to insist that an expression using
 * `claims.email` also looks at `claims.email_verified`.
 */
export function selectsField(ast: unknown, operand: string, field: string): boolean {
  const visit = (node: unknown, depth: number): boolean => {
    if (depth > 500 || node === null || typeof node !== 'object') return false;
    if (Array.isArray(node)) return node.some((item) => visit(item, depth + 1));
    const { op, args } = node as { op?: unknown; args?: unknown };
    if ((op === '.' || op === '.?') && Array.isArray(args)) {
      const [target, name] = args as [{ op?: unknown; args?: unknown } | undefined, unknown];
      if (target?.op === 'id' && target.args === operand && name === field) return true;
    }
    return visit(args, depth + 1);
  };
  return visit(ast, 0);
}

/** How deep claims may nest; a JWT's claims are a few levels at most, and conversion must not exhaust the stack. */
export const maxClaimsDepth = 64;

/**
 * A JSON value as CEL sees it, like upstream's conversion of claims to
 * unstructured: objects are maps (a Map, so no key is ever a prototype),
 * whole numbers ints, other numbers doubles, lists metered for the cost limit.
 */
export function celValueOfJson(value: unknown, depth = 0): unknown {
  if (depth > maxClaimsDepth) throw new Error(`claims are nested more than ${maxClaimsDepth} levels deep`);
  if (typeof value === 'number') return Number.isInteger(value) && Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return meteredList(value.map((item) => celValueOfJson(item, depth + 1)));
  if (value !== null && typeof value === 'object') {
    const map = new Map<string, unknown>();
    for (const [key, item] of Object.entries(value)) map.set(key, celValueOfJson(item, depth + 1));
    return map;
  }
  return value;
}

/** The `user` variable of user validation rules; absent fields are empty, as upstream fills them. */
export function celUserValue(user: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }): unknown {
  const extra = new Map<string, unknown>();
  for (const [key, values] of Object.entries(user.extra ?? {})) extra.set(key, meteredList([...values]));
  return { username: user.username, uid: user.uid ?? '', groups: meteredList([...user.groups]), extra };
}

/**
 * A mapping result as a list of strings, as upstream's
 * convertCELValueToStringList: a string is one value, a list must hold
 * only strings; '', [] and null mean "not present"; empty strings in a
 * list are dropped.
 */
export function stringListOf(value: unknown): string[] | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : [value];
  if (Array.isArray(value)) {
    const out: string[] = [];
    for (const item of value as unknown[]) {
      if (typeof item !== 'string') throw new Error('expression must return a string or a list of strings');
      if (item !== '') out.push(item);
    }
    return out.length > 0 ? out : undefined;
  }
  throw new Error('expression must return a string or a list of strings');
}
