/**
 * Type checking of a ValidatingAdmissionPolicy against the schemas of the
 * kinds it matches, for `status.typeChecking.expressionWarnings` (upstream's
 * TypeChecker, which the policy status controller runs). It never changes
 * what the policy does: expressions still run with `object` as dyn.
 *
 * What is checked, as upstream: the kinds of the matchConstraints'
 * resourceRules whose groups and versions are all explicit (resources `*`
 * and subresources are skipped; at most 10 kinds); for each, every
 * validation's expression and messageExpression compiled with `object` and
 * `oldObject` of that kind's schema, `params` of the paramKind's schema
 * (undeclared when it has none), and the policy's variables. A warning
 * lists, per kind, `group/version, Kind=K: ERROR: <input>:…`.
 *
 * Best effort (schema-types.ts says where typing gives way to dyn): fields
 * a schema does not declare, and operators or functions applied to the
 * wrong scalar, list or map types, are reported; an error that only the
 * typed view of an object could cause (its message type named) is not,
 * since cel-js and cel-go differ there (equality of objects, for one).
 */
import type { ValidatingAdmissionPolicy } from '../policies.js';
import type { ResourceType } from '../../resource.js';
import type { Schema } from '../../../machinery/schema/types.js';
import { describeCompileError } from './cel-errors.js';
import { compileVariables } from './compile.js';
import { checkBase, withVariables, type CheckShape } from './environment.js';
import { SchemaTypes } from './schema-types.js';

export interface ExpressionWarning {
  fieldRef: string;
  warning: string;
}

export interface SchemaResolver {
  /** The kind served at a resource (upstream's RESTMapper.KindsFor), if any. */
  kindFor(group: string, version: string, resource: string): string | undefined;
  schemaOf(group: string, version: string, kind: string): Schema | undefined;
}

/** A resolver over the served resource types (Registry.all()). */
export function schemaResolverOf(types: readonly ResourceType[]): SchemaResolver {
  return {
    kindFor: (group, version, resource) => types.find((t) => t.group === group && t.version === version && t.resource === resource)?.kind,
    schemaOf: (group, version, kind) => types.find((t) => t.group === group && t.version === version && t.kind === kind)?.schema,
  };
}

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const maxTypesToCheck = 10;
const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The kinds to check against, sorted by group, version and kind. */
function typesToCheck(policy: ValidatingAdmissionPolicy, resolver: SchemaResolver): GroupVersionKind[] {
  const found = new Map<string, GroupVersionKind>();
  let count = 0;
  for (const rule of policy.spec?.matchConstraints?.resourceRules ?? []) {
    const groups = rule.apiGroups ?? [];
    const versions = rule.apiVersions ?? [];
    if (groups.length === 0 || groups.some((g) => g.includes('*')) || versions.length === 0 || versions.some((v) => v.includes('*'))) continue;
    const resources = (rule.resources ?? []).filter((r) => !/[*/]/.test(r));
    for (const group of [...groups].sort(compareStrings)) {
      for (const version of [...versions].sort(compareStrings)) {
        for (const resource of [...resources].sort(compareStrings)) {
          const kind = resolver.kindFor(group, version, resource);
          if (!kind) continue;
          found.set(`${group}/${version}/${kind}`, { group, version, kind });
          if (++count === maxTypesToCheck) return sortKinds([...found.values()]);
        }
      }
    }
  }
  return sortKinds([...found.values()]);
}

function sortKinds(kinds: GroupVersionKind[]): GroupVersionKind[] {
  return kinds.sort((a, b) => compareStrings(a.group, b.group) || compareStrings(a.version, b.version) || compareStrings(a.kind, b.kind));
}

/** Checks expressions against one kind: each expression's problem, if any (issues text, no prefix). */
class KindChecker {
  private readonly env;
  private readonly types: SchemaTypes;

  constructor(policy: ValidatingAdmissionPolicy, objectSchema: Schema, paramsSchema: Schema | undefined, prefix: string) {
    let types: SchemaTypes | undefined;
    const shape: CheckShape = { params: paramsSchema !== undefined, authorizer: true };
    const base = checkBase(shape, {
      declare: (env) => {
        types = new SchemaTypes(env, prefix);
        return { object: types.typeOf(objectSchema), params: paramsSchema ? types.typeOf(paramsSchema) : undefined };
      },
    });
    this.types = types!;
    const { fields } = compileVariables(policy.spec?.variables ?? [], () => base, shape.params);
    this.env = withVariables(base, fields);
  }

  problem(expression: string): string | undefined {
    let checked;
    try {
      checked = this.env.check(expression);
    } catch (err) {
      return describeCompileError(expression, err);
    }
    if (checked.valid) return undefined;
    const text = describeCompileError(expression, checked.error);
    // Errors about the typed objects themselves are cel-js's, not necessarily cel-go's: not reported.
    if (!/undefined field '/.test(text) && this.types.mentions(text)) return undefined;
    return text;
  }
}

/** upstream's `status.typeChecking.expressionWarnings` of a policy (empty when nothing is wrong). */
export function typeCheckPolicy(policy: ValidatingAdmissionPolicy, resolver: SchemaResolver): ExpressionWarning[] {
  const kinds = typesToCheck(policy, resolver).flatMap((gvk) => {
    const schema = resolver.schemaOf(gvk.group, gvk.version, gvk.kind);
    return schema ? [{ gvk, schema }] : [];
  });
  if (kinds.length === 0) return [];
  const paramKind = policy.spec?.paramKind;
  let paramsSchema: Schema | undefined;
  if (paramKind?.apiVersion !== undefined && paramKind.kind) {
    const parts = paramKind.apiVersion.split('/');
    if (parts.length <= 2) {
      const [group, version] = parts.length === 2 ? parts : ['', parts[0]];
      paramsSchema = resolver.schemaOf(group, version, paramKind.kind);
    }
  }
  const checkers = kinds.map(({ gvk, schema }) => ({ gvk, checker: new KindChecker(policy, schema, paramsSchema, `schema.${gvk.kind}`) }));
  const warn = (expression: string): string | undefined => {
    const lines = checkers.flatMap(({ gvk, checker }) => {
      const problem = checker.problem(expression);
      return problem ? [`${gvk.group}/${gvk.version}, Kind=${gvk.kind}: ${problem}\n`] : [];
    });
    return lines.length > 0 ? lines.join('\n') : undefined;
  };
  const warnings: ExpressionWarning[] = [];
  (policy.spec?.validations ?? []).forEach((validation, i) => {
    const expression = warn(validation.expression ?? '');
    if (expression) warnings.push({ fieldRef: `spec.validations[${i}].expression`, warning: expression });
    if (!validation.messageExpression) return;
    const message = warn(validation.messageExpression);
    if (message) warnings.push({ fieldRef: `spec.validations[${i}].messageExpression`, warning: message });
  });
  return warnings;
}
