/** Schemas and checks shared by webhooks and admission policies of admissionregistration.k8s.io/v1. */
import { LabelSelectorSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import type { LabelSelector } from '../common/selector.js';
import { validateLabelSelector } from '../common/selector.js';

export const V1 = 'io.k8s.api.admissionregistration.v1';
export const GROUP = 'admissionregistration.k8s.io';

export interface Rule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  resourceNames?: string[];
  scope?: string;
}

export interface MatchResources {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  resourceRules?: Rule[];
  excludeResourceRules?: Rule[];
  matchPolicy?: string;
}

const atomic = { listType: 'atomic' as const };
const ruleFields = {
  apiGroups: s.array(s.string(), 'API groups the rule matches; "*" is all.', atomic),
  apiVersions: s.array(s.string(), 'API versions the rule matches; "*" is all.', atomic),
  operations: s.array(s.string(), 'CREATE, UPDATE, DELETE, CONNECT or "*".', atomic),
  resources: s.array(s.string(), 'Resources (and resource/subresource) the rule matches; "*" is all.', atomic),
  scope: s.string('Cluster, Namespaced or "*" (default).'),
};

export const RuleWithOperationsSchema = s.object(`${V1}.RuleWithOperations`, 'Operations on resources a webhook intercepts.', ruleFields);

export const NamedRuleWithOperationsSchema = s.object(
  `${V1}.NamedRuleWithOperations`,
  'Operations on resources, optionally by name, a policy matches.',
  { ...ruleFields, resourceNames: s.array(s.string(), 'Names the rule is limited to; empty is all.', atomic) },
  { mapType: 'atomic' },
);

export const MatchConditionSchema = s.object(
  `${V1}.MatchCondition`,
  'A CEL expression that must hold for a request to be sent to the webhook or policy.',
  { expression: s.string('CEL expression returning a boolean.'), name: s.string('Identifier of the condition, a qualified name.') },
  { required: ['name', 'expression'] },
);

export const matchConditionsField = s.array(MatchConditionSchema, 'Further CEL filters on requests; all must hold.', {
  listType: 'map',
  mapKeys: ['name'],
  mergeKey: 'name',
  patchStrategy: 'merge',
});

export const MatchResourcesSchema = s.object(
  `${V1}.MatchResources`,
  'Which requests a policy applies to.',
  {
    excludeResourceRules: s.array(NamedRuleWithOperationsSchema, 'Operations the policy must ignore.', atomic),
    matchPolicy: s.string('Exact or Equivalent (default): whether requests through other versions match.'),
    namespaceSelector: s.field(LabelSelectorSchema, 'Namespaces whose objects match.'),
    objectSelector: s.field(LabelSelectorSchema, 'Objects whose labels match.'),
    resourceRules: s.array(NamedRuleWithOperationsSchema, 'Operations the policy applies to.', atomic),
  },
  { mapType: 'atomic' },
);

export function defaultRule(rule: Rule): void {
  rule.scope ??= '*';
}

export function defaultMatchResources(match: MatchResources): void {
  match.namespaceSelector ??= {};
  match.objectSelector ??= {};
  match.matchPolicy ??= 'Equivalent';
  for (const r of [...(match.resourceRules ?? []), ...(match.excludeResourceRules ?? [])]) defaultRule(r);
}

const operations = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const scopes = ['*', 'Cluster', 'Namespaced'];
export const matchPolicies = ['Equivalent', 'Exact'];
export const failurePolicies = ['Fail', 'Ignore'];

export function validateRule(rule: Rule, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  for (const key of ['operations', 'apiGroups', 'apiVersions', 'resources'] as const) {
    if (!rule[key]?.length) errs.push(field.required(`${path}.${key}`));
  }
  (rule.operations ?? []).forEach((op, i) => {
    if (!operations.includes(op)) errs.push(field.notSupported(`${path}.operations[${i}]`, op, operations));
  });
  if (rule.scope !== undefined && !scopes.includes(rule.scope)) errs.push(field.notSupported(`${path}.scope`, rule.scope, scopes));
  return errs;
}

export function validateEnum(value: string | undefined, allowed: string[], path: string): FieldErrorLike[] {
  return value !== undefined && !allowed.includes(value) ? [field.notSupported(path, value, allowed)] : [];
}

export function validateMatchConditions(conditions: { name: string; expression: string }[] | undefined, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const names = new Set<string>();
  (conditions ?? []).forEach((c, i) => {
    if (!c.name) errs.push(field.required(`${path}[${i}].name`));
    else if (names.has(c.name)) errs.push(field.duplicate(`${path}[${i}].name`, c.name));
    names.add(c.name);
    if (!c.expression) errs.push(field.required(`${path}[${i}].expression`));
  });
  return errs;
}

export function validateSelectors(match: { namespaceSelector?: LabelSelector; objectSelector?: LabelSelector }, path: string): FieldErrorLike[] {
  return [
    ...validateLabelSelector(match.namespaceSelector, `${path}.namespaceSelector`),
    ...validateLabelSelector(match.objectSelector, `${path}.objectSelector`),
  ];
}
