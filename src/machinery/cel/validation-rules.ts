/**
 * CRD validation rules (`x-kubernetes-validations`): compiled once per
 * schema node, checked when a CRD is written (a rule that does not compile
 * makes the CRD invalid), and evaluated on every write of a custom resource
 * at each node where a value is present, as the apiextensions-apiserver
 * does:
 *
 * - `self` is the node's value; integers are CEL ints, numbers doubles.
 * - A transition rule (one that names `oldSelf`) runs only on an update
 *   whose old object has a value at the same place (map entries by key,
 *   map-list items by their keys); with `optionalOldSelf` it runs on
 *   create too, `oldSelf` being an optional then.
 * - A rule that does not hold is a field error at the node (or at its
 *   `fieldPath`) of its `reason`'s kind, with `message`, the result of
 *   `messageExpression`, or `failed rule: <rule>`; one that fails to run
 *   says why, `evaluating rule: <rule>`.
 * - Each evaluation spends from a cost budget (cost.ts): a rule over its
 *   limit fails (`call cost exceeds limit for rule`), and once an object's
 *   budget is spent no further rule runs.
 */
import { Optional, type ASTNode } from '@marcbachmann/cel-js';
import { isPlainObject } from '../object.js';
import type { Schema } from '../schema/types.js';
import { field, GoValue, type FieldErrorLike } from '../status.js';
import { lazyKubernetesEnvironment } from './environment.js';
import { hasValidationRules } from './has-rules.js';

export { hasValidationRules };
import { CostLimitExceeded, meteredList, perCallLimit, perObjectBudget, withinCost } from './cost.js';
import { costErrorMessage, estimateCost, maxSize, staticEstimatedCostLimit, staticEstimatedCRDCostLimit } from './estimate.js';

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

type RuleSchema = Schema & { 'x-kubernetes-validations'?: ValidationRule[] };

interface CompiledRule {
  evaluate: (context: Record<string, unknown>) => unknown;
  message?: (context: Record<string, unknown>) => unknown;
  usesOldSelf: boolean;
  /** The static estimate of its cost (estimate.ts). */
  estimatedCost: number;
}

const environment = lazyKubernetesEnvironment(['self', 'oldSelf']);
/** Rules with optionalOldSelf see oldSelf as an optional (none on create). */
const optionalOldSelfEnvironment = lazyKubernetesEnvironment(['self', { oldSelf: 'optional<dyn>' }]);
const compiled = new WeakMap<ValidationRule, CompiledRule | { error: string }>();

/** upstream's compile error text: the error, then the expression with a caret under the column. */
function compileError(expression: string, position: number, message: string): string {
  const before = expression.slice(0, position);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = position - lineStart;
  const text = expression.split('\n')[line - 1] ?? '';
  return `compilation failed: ERROR: <input>:${line}:${column + 1}: ${message}\n | ${text}\n | ${'.'.repeat(column)}^`;
}

function namesOldSelf(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(namesOldSelf);
  if (!isPlainObject(node)) return false;
  if (node.op === 'id' && node.args === 'oldSelf') return true;
  return namesOldSelf(node.args);
}

/** Where a declared-fields-only object is, a field not declared is a compile error (upstream: undefined field). */
function undeclaredField(node: ASTNode | unknown, schema: Schema): { position: number; name: string } | undefined {
  const resolve = (expression: unknown): Schema | undefined => {
    if (!isPlainObject(expression)) return undefined;
    if (expression.op === 'id') return expression.args === 'self' ? schema : undefined;
    if (expression.op !== '.') return undefined;
    const [target, name] = expression.args as [unknown, string];
    const parent = resolve(target);
    return parent?.properties?.[name];
  };
  let found: { position: number; name: string } | undefined;
  const visit = (expression: unknown) => {
    if (found) return;
    if (Array.isArray(expression)) return expression.forEach(visit);
    if (!isPlainObject(expression)) return;
    if (expression.op === '.') {
      const [target, name] = expression.args as [unknown, string];
      const parent = resolve(target);
      const closed = parent && parent.type === 'object' && parent.properties && !parent.additionalProperties && !parent['x-kubernetes-preserve-unknown-fields'];
      if (closed && !(name in parent.properties!)) {
        // The node's position is its field name's; upstream points at the dot before it.
        found = { position: Math.max(0, Number(expression.pos ?? 1) - 1), name };
        return;
      }
    }
    visit(expression.args);
  };
  visit(node);
  return found;
}

function compile(rule: ValidationRule, schema: Schema): CompiledRule | { error: string } {
  const known = compiled.get(rule);
  if (known) return known;
  let result: CompiledRule | { error: string };
  try {
    const env = rule.optionalOldSelf ? optionalOldSelfEnvironment() : environment();
    const program = env.parse(rule.rule);
    const undeclared = undeclaredField(program.ast, schema);
    if (undeclared) {
      result = { error: compileError(rule.rule, undeclared.position, `undefined field '${undeclared.name}'`) };
    } else {
      const message = rule.messageExpression ? env.parse(rule.messageExpression) : undefined;
      result = { evaluate: program, message, usesOldSelf: namesOldSelf(program.ast), estimatedCost: estimateCost(program.ast, schema) };
    }
  } catch (err) {
    const position = Number((err as { node?: { pos?: number } }).node?.pos ?? 0);
    const detail = ((err as Error).message ?? '').split('\n')[0];
    result = { error: compileError(rule.rule, position, `Syntax error: ${detail}`) };
  }
  compiled.set(rule, result);
  return result;
}

/** Go's %#v of a rule, as upstream prints the invalid value. */
function goRule(rule: ValidationRule): GoValue {
  const text = (value: string | undefined) => JSON.stringify(value ?? '');
  const reason = rule.reason === undefined ? '(*apiextensions.FieldValueErrorReason)(nil)' : `(*apiextensions.FieldValueErrorReason)(${JSON.stringify(rule.reason)})`;
  const optional = rule.optionalOldSelf === undefined ? '(*bool)(nil)' : `(*bool)(${rule.optionalOldSelf})`;
  return new GoValue(`apiextensions.ValidationRule{Rule:${text(rule.rule)}, Message:${text(rule.message)}, MessageExpression:${text(rule.messageExpression)}, Reason:${reason}, FieldPath:${text(rule.fieldPath)}, OptionalOldSelf:${optional}}`);
}

/**
 * The compile errors of every rule in a schema, at upstream's paths
 * (`<path>.x-kubernetes-validations[0].rule`); `path` names the schema's
 * root the way its caller does (`spec.validation.openAPIV3Schema`).
 */
export function compileErrorsOf(schema: Schema, path: string): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  let total = 0;
  /** `cardinality`: how many times a rule here may run for one object (the sizes of the lists and maps above it). */
  const visit = (node: RuleSchema, at: string, cardinality: number) => {
    (node['x-kubernetes-validations'] ?? []).forEach((rule, i) => {
      const result = compile(rule, node);
      const rulePath = `${at}.x-kubernetes-validations[${i}].rule`;
      if ('error' in result) return errors.push(field.invalid(rulePath, goRule(rule), result.error));
      if (result.estimatedCost > staticEstimatedCostLimit) errors.push(field.forbidden(rulePath, costErrorMessage('estimated rule cost', result.estimatedCost, staticEstimatedCostLimit)));
      total += result.estimatedCost * cardinality;
    });
    for (const [key, property] of Object.entries(node.properties ?? {})) visit(property, `${at}.properties[${key}]`, cardinality);
    if (node.additionalProperties) visit(node.additionalProperties, `${at}.additionalProperties`, cardinality * maxSize(node));
    if (node.items) visit(node.items, `${at}.items`, cardinality * maxSize(node));
  };
  visit(schema, path, 1);
  if (total > staticEstimatedCRDCostLimit) {
    errors.push(field.forbidden(path, costErrorMessage('x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema', total, staticEstimatedCRDCostLimit)));
  }
  return errors;
}

/** A JSON value as CEL sees it: integers (by schema, or whole numbers where nothing is declared) as ints. */
function celValue(value: unknown, schema: Schema | undefined): unknown {
  if (typeof value === 'number') {
    const integer = schema?.type === 'integer' || ((!schema?.type || schema['x-kubernetes-int-or-string']) && Number.isInteger(value));
    return integer ? BigInt(Math.trunc(value)) : value;
  }
  if (Array.isArray(value)) return meteredList(value.map((item) => celValue(item, schema?.items)));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = celValue(item, schema?.properties?.[key] ?? schema?.additionalProperties);
    return out;
  }
  return value;
}

/** The JSON type a rule's failure names as the value (upstream prints the schema's type). */
function typeName(schema: Schema): string {
  if (schema['x-kubernetes-int-or-string']) return 'string';
  return schema.type ?? 'object';
}

function errorFor(rule: ValidationRule, path: string, schema: Schema, message: string): FieldErrorLike {
  // fieldPath is relative JSONPath (`.replicas`, `.items[0]`): it extends the node's path.
  const at = rule.fieldPath ? `${path}${rule.fieldPath}`.replace(/^\./, '') : path;
  switch (rule.reason) {
    case 'FieldValueForbidden':
      return field.forbidden(at, message);
    case 'FieldValueRequired':
      return field.required(at, message);
    case 'FieldValueDuplicate':
      return field.duplicate(at, typeName(schema));
    default:
      return field.invalid(at, typeName(schema), message);
  }
}

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** What is left of an object's cost budget as its rules run. */
interface Budget {
  left: number;
  exhausted: boolean;
}

function evaluateRules(schema: RuleSchema, value: unknown, old: unknown, path: string, errors: FieldErrorLike[], budget: Budget): void {
  if (budget.exhausted) return;
  const rules = schema['x-kubernetes-validations'] ?? [];
  if (rules.length > 0) {
    const self = celValue(value, schema);
    const oldSelf = old === undefined ? undefined : celValue(old, schema);
    for (const rule of rules) {
      const program = compile(rule, schema);
      if ('error' in program) continue;
      let context: Record<string, unknown>;
      if (!program.usesOldSelf) context = { self };
      else if (rule.optionalOldSelf) context = { self, oldSelf: oldSelf === undefined ? Optional.none() : Optional.of(oldSelf) };
      else if (oldSelf === undefined) continue;
      else context = { self, oldSelf };
      if (budget.left <= 0) {
        // Upstream stops here: the rest of the object's rules are not run.
        budget.exhausted = true;
        return;
      }
      let outcome: unknown;
      try {
        const { result, cost } = withinCost(Math.min(perCallLimit, budget.left), () => program.evaluate(context));
        budget.left -= cost;
        outcome = result;
      } catch (err) {
        if (err instanceof CostLimitExceeded) {
          budget.left -= Math.min(perCallLimit, budget.left);
          errors.push(field.invalid(path, typeName(schema), `call cost exceeds limit for rule: ${rule.rule.trim()}`));
          continue;
        }
        const reason = ((err as Error).message ?? String(err)).split('\n')[0];
        errors.push(field.invalid(path, typeName(schema), `${reason.charAt(0).toLowerCase()}${reason.slice(1)} evaluating rule: ${rule.rule.trim()}`));
        continue;
      }
      if (outcome === true) continue;
      let message = rule.message || `failed rule: ${rule.rule.trim()}`;
      if (!rule.message && program.message) {
        try {
          const text = program.message(context);
          if (typeof text === 'string' && text.trim() !== '') message = text;
        } catch {
          // upstream falls back to the rule when messageExpression fails
        }
      }
      errors.push(errorFor(rule, path, schema, message));
    }
  }
  if (Array.isArray(value)) {
    if (!schema.items) return;
    const keys = schema['x-kubernetes-list-type'] === 'map' ? schema['x-kubernetes-list-map-keys'] ?? [] : undefined;
    value.forEach((item, i) => {
      // Map-list items find their old selves by key; other lists' items have none.
      const before = keys && Array.isArray(old) ? old.find((candidate) => isPlainObject(candidate) && isPlainObject(item) && keys.every((key) => candidate[key] === item[key])) : undefined;
      evaluateRules(schema.items!, item, before, `${path}[${i}]`, errors, budget);
    });
    return;
  }
  if (!isPlainObject(value)) return;
  const oldObject = isPlainObject(old) ? old : undefined;
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || item === null) continue;
    const property = schema.properties?.[key];
    if (property) evaluateRules(property, item, oldObject?.[key], child(path, key), errors, budget);
    else if (schema.additionalProperties) evaluateRules(schema.additionalProperties, item, oldObject?.[key], `${path}[${key}]`, errors, budget);
  }
}

/**
 * The failures of a custom resource's rules: `old` is the object before an
 * update (undefined on create). Only nodes below a rule are walked.
 */
export function validateRules(schema: Schema, value: unknown, old: unknown): FieldErrorLike[] {
  if (!hasValidationRules(schema)) return [];
  const errors: FieldErrorLike[] = [];
  const budget: Budget = { left: perObjectBudget, exhausted: false };
  evaluateRules(schema, value, old, '', errors, budget);
  if (budget.exhausted) errors.push(field.invalid('<nil>', new GoValue('"null"'), 'validation failed due to running out of cost budget, no further validation rules will be run'));
  return errors;
}
