/**
 * Compiles a ValidatingAdmissionPolicy's expressions once per generation of
 * the policy (cached by uid and resourceVersion), as upstream's compilePolicy:
 *
 * - variables in order, each seeing only the variables before it, each
 *   declared in `variables` with the type of its expression;
 * - matchConditions and validations must be bool, messageExpressions
 *   string (without `authorizer`), auditAnnotations string or null;
 * - a compile error is kept with the expression: it fails the expression
 *   when it runs (`compilation error: …`), under the policy's failurePolicy.
 */
import type { Environment } from '@marcbachmann/cel-js';
import type { ValidatingAdmissionPolicy } from '../policies.js';
import { celGoTypeName, describeCompileError } from './cel-errors.js';
import { runtimeEnvironment, sharedCheckBase, variableFieldType, withVariables, type CheckShape } from './environment.js';

export interface CompiledExpression {
  expression: string;
  /** Upstream's compile error (`compilation failed: ERROR: …`, `must evaluate to bool but got dyn`). */
  error?: string;
  /** The checked type of the expression (cel-js names). */
  type?: string;
  program?: (context: Record<string, unknown>) => unknown;
}

export interface CompiledPolicy {
  hasParams: boolean;
  variables: { name: string; compiled: CompiledExpression }[];
  matchConditions: { name: string; compiled: CompiledExpression }[];
  validations: { compiled: CompiledExpression; message?: CompiledExpression; text?: string; reason?: string }[];
  auditAnnotations: { key: string; compiled: CompiledExpression }[];
}

/** Checks `expression` in `env` and prepares it to run; `returnTypes` are the cel-js names it may have. */
export function compileExpression(expression: string, env: Environment, returnTypes?: string[]): CompiledExpression {
  let checked: ReturnType<Environment['check']>;
  try {
    checked = env.check(expression);
  } catch (err) {
    // cel-js throws (rather than reports) when a structural limit is passed.
    return { expression, error: `compilation failed: ${describeCompileError(expression, err)}` };
  }
  if (!checked.valid) return { expression, error: `compilation failed: ${describeCompileError(expression, checked.error)}` };
  const type = checked.type ?? 'dyn';
  if (returnTypes && !returnTypes.includes(type)) {
    const wanted = returnTypes.length === 1 ? celGoTypeName(returnTypes[0]) : `one of [${returnTypes.map(celGoTypeName).join(' ')}]`;
    return { expression, type, error: `must evaluate to ${wanted} but got ${celGoTypeName(type)}` };
  }
  try {
    return { expression, type, program: runtimeEnvironment().parse(expression) };
  } catch (err) {
    return { expression, type, error: `compilation failed: ${describeCompileError(expression, err)}` };
  }
}

/** How to build the environments of one policy: shared by the admission path, typed by typeCheckPolicy. */
export type BaseEnvironment = (shape: CheckShape) => Environment;

/** The variables of a policy, compiled in order; returns the field types of `variables`. */
export function compileVariables(
  variables: { name: string; expression: string }[],
  base: BaseEnvironment,
  hasParams: boolean,
): { compiled: CompiledPolicy['variables']; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  const compiled: CompiledPolicy['variables'] = [];
  for (const variable of variables) {
    const env = withVariables(base({ params: hasParams, authorizer: true }), fields);
    const result = compileExpression(variable.expression ?? '', env);
    fields[variable.name] = variableFieldType(result.type);
    compiled.push({ name: variable.name, compiled: result });
  }
  return { compiled, fields };
}

export function compilePolicy(policy: ValidatingAdmissionPolicy): CompiledPolicy {
  const spec = policy.spec ?? {};
  const hasParams = spec.paramKind !== undefined && spec.paramKind !== null;
  const { compiled: variables, fields } = compileVariables(spec.variables ?? [], sharedCheckBase, hasParams);
  const env = withVariables(sharedCheckBase({ params: hasParams, authorizer: true }), fields);
  const messageEnv = withVariables(sharedCheckBase({ params: hasParams, authorizer: false }), fields);
  return {
    hasParams,
    variables,
    matchConditions: (spec.matchConditions ?? []).map((c) => ({ name: c.name, compiled: compileExpression(c.expression ?? '', env, ['bool']) })),
    validations: (spec.validations ?? []).map((v) => ({
      compiled: compileExpression(v.expression ?? '', env, ['bool']),
      message: v.messageExpression ? compileExpression(v.messageExpression, messageEnv, ['string']) : undefined,
      text: v.message,
      reason: v.reason,
    })),
    auditAnnotations: (spec.auditAnnotations ?? []).map((a) => ({ key: a.key, compiled: compileExpression(a.valueExpression ?? '', env, ['string', 'null']) })),
  };
}

/** Compiled policies by uid, recompiled when the resourceVersion changes. */
export class PolicyCache {
  private readonly entries = new Map<string, { version: string | undefined; source: ValidatingAdmissionPolicy; compiled: CompiledPolicy }>();

  get(policy: ValidatingAdmissionPolicy): CompiledPolicy {
    const key = policy.metadata.uid ?? `name:${policy.metadata.name ?? ''}`;
    const version = policy.metadata.resourceVersion;
    const known = this.entries.get(key);
    // Without a resourceVersion (objects built in tests) only the same object is the same generation.
    if (known && (version !== undefined ? known.version === version : known.source === policy)) return known.compiled;
    const compiled = compilePolicy(policy);
    this.entries.set(key, { version, source: policy, compiled });
    return compiled;
  }

  /** Forgets policies that no longer exist. */
  retain(policies: readonly ValidatingAdmissionPolicy[]): void {
    if (this.entries.size <= policies.length) return;
    const live = new Set(policies.map((p) => p.metadata.uid ?? `name:${p.metadata.name ?? ''}`));
    for (const key of this.entries.keys()) if (!live.has(key)) this.entries.delete(key);
  }
}
