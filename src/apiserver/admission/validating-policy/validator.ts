/**
 * One evaluation of a policy: for one binding and one parameter object, the
 * decisions of its validations and the values of its audit annotations, as
 * upstream's validator:
 *
 * 1. matchConditions (budget 2.5M, no namespaceObject): any false skips the
 *    policy; errors, with none false, are one error decision (Fail) or skip
 *    it (Ignore);
 * 2. validations (budget 10M): true admits; false denies with the
 *    messageExpression's result, the message, or `failed expression: …`,
 *    and the validation's reason (Invalid by default); an error is a deny
 *    (Fail) or an admit (Ignore) decision;
 * 3. messageExpressions (for every validation, with what is left of the
 *    budget, without `authorizer`);
 * 4. auditAnnotations (budget 10M, without `authorizer`): a non-empty
 *    string is published, null or empty is not, an error is a deny (Fail).
 */
import type { CompiledExpression, CompiledPolicy } from '../../../api/admissionregistration/cel/compile.js';
import { Activation, matchConditionsCostBudget, outOfBudgetMessage, runtimeCostBudget, type Outcome, type RootValues } from './evaluate.js';
import type { AuthorizationSession, CelAuthorizer } from '../../../api/admissionregistration/cel/authorizer-library.js';

export interface PolicyDecision {
  action: 'admit' | 'deny';
  evaluation: 'admit' | 'deny' | 'error';
  message: string;
  /** The status reason of a denial (Invalid when unset). */
  reason?: string;
}

export interface AuditAnnotationResult {
  key: string;
  action: 'publish' | 'error' | 'exclude';
  value?: string;
  error?: string;
}

export interface ValidateResult {
  decisions: PolicyDecision[];
  auditAnnotations: AuditAnnotationResult[];
}

export interface ValidationInput {
  compiled: CompiledPolicy;
  failurePolicy: string;
  /** The root values of validations and audit annotations. */
  values: RootValues;
  /** `request` as matchConditions see it (upstream gives them the requested resource). */
  matchRequest: unknown;
  session: AuthorizationSession;
  authorizer: CelAuthorizer;
}

/** Upstream's bound on a messageExpression's result, in bytes. */
const maxMessageBytes = 5 * 1024;

const errorDecision = (failurePolicy: string, message: string): PolicyDecision => ({ action: failurePolicy === 'Ignore' ? 'admit' : 'deny', evaluation: 'error', message });

/** Evaluates expressions in order with one budget; undefined when the budget ran out. */
async function evaluateAll(activation: Activation, expressions: (CompiledExpression | undefined)[], budget: number): Promise<{ outcomes: (Outcome | undefined)[]; left: number } | undefined> {
  const outcomes: (Outcome | undefined)[] = [];
  let left = budget;
  for (const expression of expressions) {
    if (!expression) {
      outcomes.push(undefined);
      continue;
    }
    const outcome = await activation.evaluate(expression, left);
    if (outcome === 'out-of-budget') return undefined;
    left -= outcome.cost;
    outcomes.push(outcome);
  }
  return { outcomes, left };
}

/** Joins errors as upstream's aggregate error prints them: one alone, several in brackets, each once. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

/** Whether the policy applies by its matchConditions; an error decision when they fail to say. */
async function matchConditionsHold(input: ValidationInput): Promise<boolean | PolicyDecision> {
  const { compiled, failurePolicy } = input;
  if (compiled.matchConditions.length === 0) return true;
  const activation = new Activation({ ...input.values, request: input.matchRequest, namespaceObject: null }, compiled.variables, input.session, input.authorizer);
  const evaluated = await evaluateAll(activation, compiled.matchConditions.map((c) => c.compiled), matchConditionsCostBudget);
  if (!evaluated) return failurePolicy === 'Ignore' ? false : errorDecision(failurePolicy, outOfBudgetMessage);
  const errors: string[] = [];
  for (const outcome of evaluated.outcomes) {
    if (outcome && 'error' in outcome) errors.push(outcome.error);
    else if (outcome?.value === false) return false;
  }
  if (errors.length === 0) return true;
  return failurePolicy === 'Ignore' ? false : errorDecision(failurePolicy, aggregate(errors));
}

/** The message of a failed validation: messageExpression's string, the message, or the expression. */
function failureMessage(validation: CompiledPolicy['validations'][number], messageOutcome: Outcome | undefined): string {
  if (messageOutcome && 'value' in messageOutcome && typeof messageOutcome.value === 'string') {
    const text = messageOutcome.value.trim();
    if (text !== '' && Buffer.byteLength(text) <= maxMessageBytes && !text.includes('\n')) return text;
  }
  const message = (validation.text ?? '').trim();
  if (message !== '') return message;
  return `failed expression: ${validation.compiled.expression.trim()}`;
}

export async function validatePolicy(input: ValidationInput): Promise<ValidateResult> {
  const { compiled, failurePolicy } = input;
  const applies = await matchConditionsHold(input);
  if (applies === false) return { decisions: [], auditAnnotations: [] };
  if (applies !== true) return { decisions: [applies], auditAnnotations: [] };

  const validations = await evaluateAll(
    new Activation(input.values, compiled.variables, input.session, input.authorizer),
    compiled.validations.map((v) => v.compiled),
    runtimeCostBudget,
  );
  if (!validations) return { decisions: [errorDecision(failurePolicy, outOfBudgetMessage)], auditAnnotations: [] };
  const messages = await evaluateAll(
    new Activation(input.values, compiled.variables, input.session, undefined),
    compiled.validations.map((v) => v.message),
    validations.left,
  );

  const decisions = compiled.validations.map((validation, i): PolicyDecision => {
    const outcome = validations.outcomes[i]!;
    if ('error' in outcome) return errorDecision(failurePolicy, outcome.error);
    if (!messages) return errorDecision(failurePolicy, `failed messageExpression: ${outOfBudgetMessage}`);
    if (outcome.value !== true) {
      return { action: 'deny', evaluation: 'deny', reason: validation.reason || 'Invalid', message: failureMessage(validation, messages.outcomes[i]) };
    }
    return { action: 'admit', evaluation: 'admit', message: '' };
  });

  const annotations = await evaluateAll(
    new Activation(input.values, compiled.variables, input.session, undefined),
    compiled.auditAnnotations.map((a) => a.compiled),
    runtimeCostBudget,
  );
  if (!annotations) return { decisions: [errorDecision(failurePolicy, outOfBudgetMessage)], auditAnnotations: [] };
  const auditAnnotations = compiled.auditAnnotations.map(({ key, compiled: annotation }, i): AuditAnnotationResult => {
    const outcome = annotations.outcomes[i]!;
    if ('error' in outcome) return { key, action: failurePolicy === 'Ignore' ? 'exclude' : 'error', error: outcome.error };
    if (outcome.value === null || outcome.value === undefined) return { key, action: 'exclude' };
    if (typeof outcome.value !== 'string') {
      // Unreachable while compilation insists on string or null; kept for upstream's wording.
      const error = `valueExpression '${annotation.expression}' resulted in unsupported return type: ${typeof outcome.value}. Return type must be either string or null.`;
      return { key, action: 'error', error };
    }
    const value = outcome.value.trim();
    return value === '' ? { key, action: 'exclude' } : { key, action: 'publish', value };
  });
  return { decisions, auditAnnotations };
}
