/**
 * Runs compiled policy expressions against one request, as upstream's
 * activation and composition do:
 *
 * - an Activation holds the root values (`object`, `oldObject`, `params`,
 *   `request`, `namespaceObject`, `authorizer`) and `variables`, computed
 *   lazily the first time an expression reads them and then kept;
 * - each program may cost at most upstream's per-expression limit
 *   (`operation cancelled: actual cost limit exceeded`); the expressions of
 *   one evaluation share a budget, and a variable's cost is charged to the
 *   expression that first read it; passing the budget stops the evaluation
 *   (`validation failed due to running out of cost budget, …`). Costs are
 *   skiff's units (machinery/cel/cost.ts) plus 350,000 per authorization check;
 * - an expression whose authorization checks were not answered yet runs
 *   again once they are (authorizer-library.ts), a bounded number of times.
 */
import { CostLimitExceeded, perCallLimit, withinCost } from '../../../machinery/cel/cost.js';
import { authorizationCheckCost, type AuthorizationSession, type CelAuthorizer } from '../../../api/admissionregistration/cel/authorizer-library.js';
import type { CompiledExpression, CompiledPolicy } from '../../../api/admissionregistration/cel/compile.js';

/** Upstream's budgets: one evaluation's expressions, and the matchConditions of one. */
export const runtimeCostBudget = 10_000_000;
export const matchConditionsCostBudget = 2_500_000;
export const outOfBudgetMessage = 'validation failed due to running out of cost budget, no further validation rules will be run';

/** How many times an expression may run again for authorization answers. */
const maxAuthorizationRounds = 8;

export interface RootValues {
  object: unknown;
  oldObject: unknown;
  params: unknown;
  request: unknown;
  namespaceObject: unknown;
}

export type Outcome = { value: unknown; cost: number } | { error: string; cost: number };

interface ProgramRun {
  value?: unknown;
  error?: unknown;
  cost: number;
}

/** A variable's failure, surfacing through the expression that read it: its text is whole. */
class VariableError extends Error {}

/** The first line of an evaluation error (cel-js adds a code frame), starting in lower case as cel-go's do. */
function errorText(err: unknown): string {
  if (err instanceof CostLimitExceeded || err instanceof VariableError) return err.message;
  const text = ((err as Error)?.message ?? String(err)).split('\n')[0];
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * Whether a result is a string upstream could not have built within `limit`:
 * its cost model charges a tenth of a unit per character a string
 * operation produces. skiff's meter counts list reads only, so this bounds
 * strings grown by concatenating variables (each doubling the last).
 */
function overlong(value: unknown, limit: number): boolean {
  return typeof value === 'string' && value.length > limit * 10;
}

export class Activation {
  private readonly context: Record<string, unknown>;
  private readonly variableResults = new Map<string, { value: unknown } | { error: string }>();
  /** What variables computed while the current expression ran cost. */
  private compositionCost = 0;

  constructor(
    values: RootValues,
    variables: CompiledPolicy['variables'],
    private readonly session: AuthorizationSession | undefined,
    authorizer: CelAuthorizer | undefined,
  ) {
    const lazy: Record<string, unknown> = {};
    for (const variable of variables) {
      Object.defineProperty(lazy, variable.name, { enumerable: true, configurable: true, get: () => this.variable(variable.name, variable.compiled) });
    }
    this.context = { ...values, variables: lazy, ...(authorizer ? { authorizer } : {}) };
  }

  private variable(name: string, compiled: CompiledExpression): unknown {
    let result = this.variableResults.get(name);
    if (!result) {
      if (compiled.error) {
        result = { error: `composited variable ${JSON.stringify(name)} fails to compile: ${compiled.error}` };
        this.variableResults.set(name, result);
      } else {
        const missesBefore = this.session?.misses ?? 0;
        const run = this.run(compiled, perCallLimit);
        this.compositionCost += run.cost;
        result = 'error' in run ? { error: `composited variable ${JSON.stringify(name)} fails to evaluate: ${errorText(run.error)}` } : { value: run.value };
        // A value computed with unanswered authorization checks is provisional.
        if ((this.session?.misses ?? 0) === missesBefore) this.variableResults.set(name, result);
      }
    }
    if ('error' in result) throw new VariableError(result.error);
    return result.value;
  }

  /** Runs one program within `limit`; its cost counts list reads and authorization checks. */
  private run(compiled: CompiledExpression, limit: number): ProgramRun {
    const frame = { checks: 0 };
    const outer = this.session?.frame;
    if (this.session) this.session.frame = frame;
    try {
      const { result, cost } = withinCost(limit, () => {
        try {
          return { value: compiled.program!(this.context) };
        } catch (error) {
          return { error };
        }
      });
      const total = cost + frame.checks * authorizationCheckCost;
      // An error inside `||` or `&&` may have swallowed the cost limit: it still holds.
      if (total > limit || result.error instanceof CostLimitExceeded || overlong(result.value, limit)) return { error: new CostLimitExceeded(), cost: Math.max(total, limit) };
      return 'error' in result ? { error: result.error, cost: total } : { value: result.value, cost: total };
    } finally {
      if (this.session) this.session.frame = outer;
    }
  }

  /**
   * Evaluates one expression with `budget` left: its outcome and cost, or
   * 'out-of-budget' when it cost more than was left.
   */
  async evaluate(compiled: CompiledExpression, budget: number): Promise<Outcome | 'out-of-budget'> {
    if (compiled.error) return { error: `compilation error: ${compiled.error}`, cost: 0 };
    this.compositionCost = 0;
    for (let round = 0; ; round++) {
      const run = this.run(compiled, perCallLimit);
      if (this.session?.hasPending) {
        if (round === maxAuthorizationRounds) return { error: `expression '${compiled.expression}' resulted in error: too many authorization checks`, cost: run.cost };
        await this.session.resolvePending();
        continue;
      }
      const cost = run.cost + this.compositionCost;
      if (cost > budget) return 'out-of-budget';
      if ('error' in run) return { error: `expression '${compiled.expression}' resulted in error: ${errorText(run.error)}`, cost };
      return { value: run.value, cost };
    }
  }
}
