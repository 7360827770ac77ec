/**
 * A webhook's matchConditions: CEL expressions over `object`, `oldObject`,
 * `request` (the AdmissionRequest without uid and objects) and
 * `namespaceObject` (always null for webhooks, as upstream binds it). Every
 * condition is evaluated; any `false` skips the webhook; errors (a condition
 * that does not compile, fails to run, or the shared cost budget running
 * out) follow the webhook's failurePolicy: Fail refuses the request, Ignore
 * skips the webhook.
 *
 * Not here: the `authorizer` variable (authorization checks from CEL need an
 * asynchronous authorizer the synchronous evaluator cannot call); an
 * expression naming it does not compile.
 */
import { lazyKubernetesEnvironment } from '../../../machinery/cel/environment.js';
import { CostLimitExceeded, meteredList, perCallLimit, withinCost } from '../../../machinery/cel/cost.js';
import { isPlainObject } from '../../../machinery/object.js';

/** Upstream's RuntimeCELCostBudgetMatchConditions: what all conditions of one webhook may spend together. */
export const matchConditionsCostBudget = 2_500_000;

const environment = lazyKubernetesEnvironment(['object', 'oldObject', 'request', 'namespaceObject']);

interface CompiledCondition {
  name: string;
  expression: string;
  evaluate?: (context: Record<string, unknown>) => unknown;
  compileError?: string;
}

export type MatchResult = { matches: true } | { matches: false; failedConditionName?: string } | { matches: false; error: string };

export interface MatchConditionInput {
  object: unknown;
  oldObject: unknown;
  request: unknown;
}

export interface CompiledMatchConditions {
  match(input: MatchConditionInput): MatchResult;
}

/** Where an error points, as cel-go prints it: `<input>:line:column`. */
function position(expression: string, offset: number): string {
  const before = expression.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `<input>:${line}:${column}`;
}

function firstLine(message: string): string {
  return (message ?? '').split('\n')[0].trim();
}

function compileErrorText(expression: string, err: unknown): string {
  const e = err as { message?: string; node?: { pos?: number }; range?: { start?: number } };
  const offset = Number(e.node?.pos ?? e.range?.start ?? 0);
  let detail = firstLine(e.message ?? String(err));
  if ((err as { name?: string }).name === 'ParseError') detail = `Syntax error: ${detail}`;
  const unknownVariable = /^Unknown variable: (\S+)/.exec(detail);
  if (unknownVariable) detail = `undeclared reference to '${unknownVariable[1]}' (in container '')`;
  const before = expression.slice(0, offset);
  const text = expression.split('\n')[before.split('\n').length - 1] ?? '';
  const column = offset - (before.lastIndexOf('\n') + 1);
  return `compilation failed: ERROR: ${position(expression, offset)}: ${detail}\n | ${text}\n | ${'.'.repeat(column)}^`;
}

function compileCondition(name: string, expression: string): CompiledCondition {
  try {
    const program = environment().parse(expression);
    const checked = program.check();
    if (!checked.valid) return { name, expression, compileError: compileErrorText(expression, checked.error) };
    if (checked.type !== 'bool') return { name, expression, compileError: `must evaluate to bool but got ${checked.type}` };
    return { name, expression, evaluate: program as unknown as (context: Record<string, unknown>) => unknown };
  } catch (err) {
    return { name, expression, compileError: compileErrorText(expression, err) };
  }
}

/** A JSON value as CEL sees it: whole numbers as ints, lists metered for the cost budget. */
export function celValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return meteredList(value.map(celValue));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = celValue(item);
    return out;
  }
  return value ?? null;
}

/** Go's utilerrors.Aggregate text: one message alone, several in brackets, duplicates once. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

export function compileMatchConditions(conditions: readonly { name: string; expression: string }[], failurePolicy: string | undefined): CompiledMatchConditions {
  const compiled = conditions.map((c) => compileCondition(String(c.name ?? ''), String(c.expression ?? '')));
  const ignore = failurePolicy === 'Ignore';
  const onError = (error: string): MatchResult => (ignore ? { matches: false } : { matches: false, error });
  return {
    match(input) {
      if (compiled.length === 0) return { matches: true };
      const context = { object: celValue(input.object), oldObject: celValue(input.oldObject), request: celValue(input.request), namespaceObject: null };
      let remaining = matchConditionsCostBudget;
      const failures: string[] = [];
      let falseCondition: string | undefined;
      for (const condition of compiled) {
        if (condition.compileError !== undefined) {
          failures.push(condition.compileError);
          continue;
        }
        const limit = Math.min(perCallLimit, remaining);
        try {
          const { result, cost } = withinCost(limit, () => condition.evaluate!(context));
          remaining -= cost;
          if (result === false) falseCondition ??= condition.name;
        } catch (err) {
          if (err instanceof CostLimitExceeded) {
            // The shared budget ran out: nothing further is evaluated (upstream fails the whole match).
            if (limit < perCallLimit) return onError('validation failed due to running out of cost budget, no further validation rules will be run');
            remaining -= limit;
          }
          const message = firstLine((err as Error).message ?? String(err));
          failures.push(`expression '${condition.expression}' resulted in error: ${message.charAt(0).toLowerCase()}${message.slice(1)}`);
        }
      }
      if (falseCondition !== undefined) return { matches: false, failedConditionName: falseCondition };
      if (failures.length > 0) return onError(aggregate(failures));
      return { matches: true };
    },
  };
}
