/** ValidatingAdmissionPolicy and its bindings: stored and checked now; CEL evaluation is a later issue. */
import { ageOf } from '../../machinery/duration.js';
import type { KubeObject } from '../../machinery/object.js';
import { ConditionSchema, kindSchema, LabelSelectorSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isDNS1123Subdomain, validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { ageColumn, nameColumn } from '../common/print.js';
import { formatLabelSelector, validateLabelSelector, type LabelSelector } from '../common/selector.js';
import {
  defaultMatchResources, failurePolicies, GROUP, matchConditionsField, MatchResourcesSchema, matchPolicies, V1,
  validateEnum, validateMatchConditions, validateRule, validateSelectors, type MatchResources,
} from './common.js';

export interface ValidatingAdmissionPolicy extends KubeObject {
  spec?: {
    paramKind?: { apiVersion?: string; kind?: string };
    matchConstraints?: MatchResources;
    validations?: { expression: string; message?: string; reason?: string; messageExpression?: string }[];
    failurePolicy?: string;
    auditAnnotations?: { key: string; valueExpression: string }[];
    matchConditions?: { name: string; expression: string }[];
    variables?: { name: string; expression: string }[];
  };
  status?: Record<string, unknown>;
}

export interface ValidatingAdmissionPolicyBinding extends KubeObject {
  spec?: {
    policyName?: string;
    paramRef?: { name?: string; namespace?: string; selector?: LabelSelector; parameterNotFoundAction?: string };
    matchResources?: MatchResources;
    validationActions?: string[];
  };
}

const atomic = { listType: 'atomic' as const };

const ParamKindSchema = s.object(`${V1}.ParamKind`, 'The kind of the parameter resources.', {
  apiVersion: s.string('group/version of the parameter kind.'),
  kind: s.string('Kind of the parameters.'),
}, { mapType: 'atomic' });

const ValidationSchema = s.object(`${V1}.Validation`, 'A CEL check requests must pass.', {
  expression: s.string('CEL expression; false rejects the request.'),
  message: s.string('Message returned on failure.'),
  messageExpression: s.string('CEL expression building the failure message.'),
  reason: s.string('Status reason returned on failure; default Invalid.'),
}, { required: ['expression'] });

const AuditAnnotationSchema = s.object(`${V1}.AuditAnnotation`, 'An audit annotation computed by CEL.', {
  key: s.string('Annotation key, prefixed with the policy name.'),
  valueExpression: s.string('CEL expression computing the value.'),
}, { required: ['key', 'valueExpression'] });

const VariableSchema = s.object(`${V1}.Variable`, 'A named CEL expression other expressions can use.', {
  expression: s.string('CEL expression of the variable.'),
  name: s.string('Name, used as variables.<name>.'),
}, { required: ['name', 'expression'] });

const TypeCheckingSchema = s.object(`${V1}.TypeChecking`, 'Results of type-checking the expressions.', {
  expressionWarnings: s.array(s.object(`${V1}.ExpressionWarning`, 'A type warning on one expression.', {
    fieldRef: s.string('Path to the expression.'),
    warning: s.string('The warning.'),
  }, { required: ['fieldRef', 'warning'] }), 'Warnings per expression.', atomic),
});

export const ValidatingAdmissionPolicySchema = kindSchema({
  group: GROUP, version: 'v1', kind: 'ValidatingAdmissionPolicy', definitionName: `${V1}.ValidatingAdmissionPolicy`,
  description: 'CEL checks run in the apiserver on matching requests, once bound.',
  fields: {
    spec: s.object(`${V1}.ValidatingAdmissionPolicySpec`, 'What the policy matches and checks.', {
      auditAnnotations: s.array(AuditAnnotationSchema, 'Audit annotations to add.', atomic),
      failurePolicy: s.string('Ignore or Fail (default): what an evaluation error does.'),
      matchConditions: matchConditionsField,
      matchConstraints: s.field(MatchResourcesSchema, 'Requests the policy may apply to. Required.'),
      paramKind: s.field(ParamKindSchema, 'Kind of the parameter resources, if any.'),
      validations: s.array(ValidationSchema, 'The checks.', atomic),
      variables: s.array(VariableSchema, 'Named expressions.', atomic),
    }),
    status: s.object(`${V1}.ValidatingAdmissionPolicyStatus`, 'Observed state of the policy.', {
      conditions: s.array(ConditionSchema, 'Conditions of the policy.', { listType: 'map', mapKeys: ['type'] }),
      observedGeneration: s.int64('Generation the status is about.'),
      typeChecking: s.field(TypeCheckingSchema, 'Type checking results.'),
    }),
  },
});

export const ValidatingAdmissionPolicyBindingSchema = kindSchema({
  group: GROUP, version: 'v1', kind: 'ValidatingAdmissionPolicyBinding', definitionName: `${V1}.ValidatingAdmissionPolicyBinding`,
  description: 'Applies a validating admission policy, with parameters, to a set of requests.',
  fields: {
    spec: s.object(`${V1}.ValidatingAdmissionPolicyBindingSpec`, 'Which policy, parameters, scope and actions.', {
      matchResources: s.field(MatchResourcesSchema, 'Narrows the requests the policy applies to.'),
      paramRef: s.field(s.object(`${V1}.ParamRef`, 'The parameter resources of the binding.', {
        name: s.string('Name of a single parameter resource. Exclusive with selector.'),
        namespace: s.string('Namespace of the parameters; default the request namespace.'),
        parameterNotFoundAction: s.string('Allow or Deny when no parameters are found. Required with paramRef.'),
        selector: s.field(LabelSelectorSchema, 'Selects parameter resources by label. Exclusive with name.'),
      }, { mapType: 'atomic' }), 'Where parameters come from.'),
      policyName: s.string('Name of the policy bound. Required.'),
      validationActions: s.array(s.string(), 'Deny, Warn and/or Audit: what a failed check does.', { listType: 'set' }),
    }),
  },
});

function validatePolicy(obj: ValidatingAdmissionPolicy): FieldErrorLike[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false });
  const spec = obj.spec ?? {};
  if (spec.paramKind) {
    if (!spec.paramKind.kind) errs.push(field.required('spec.paramKind.kind'));
    if (!spec.paramKind.apiVersion) errs.push(field.required('spec.paramKind.apiVersion'));
  }
  const match = spec.matchConstraints;
  if (!match) errs.push(field.required('spec.matchConstraints'));
  else {
    if (!match.resourceRules?.length) errs.push(field.required('spec.matchConstraints.resourceRules'));
    (match.resourceRules ?? []).forEach((r, i) => errs.push(...validateRule(r, `spec.matchConstraints.resourceRules[${i}]`)));
    (match.excludeResourceRules ?? []).forEach((r, i) => errs.push(...validateRule(r, `spec.matchConstraints.excludeResourceRules[${i}]`)));
    errs.push(...validateEnum(match.matchPolicy, matchPolicies, 'spec.matchConstraints.matchPolicy'));
    errs.push(...validateSelectors(match, 'spec.matchConstraints'));
  }
  if (!spec.validations?.length && !spec.auditAnnotations?.length) {
    errs.push(field.required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
  }
  (spec.validations ?? []).forEach((v, i) => {
    if (!v.expression?.trim()) errs.push(field.required(`spec.validations[${i}].expression`, 'expression is not specified'));
  });
  errs.push(...validateEnum(spec.failurePolicy, failurePolicies, 'spec.failurePolicy'));
  errs.push(...validateMatchConditions(spec.matchConditions, 'spec.matchConditions'));
  return errs;
}

const validationActions = ['Audit', 'Deny', 'Warn'];

function validateBinding(obj: ValidatingAdmissionPolicyBinding): FieldErrorLike[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false });
  const spec = obj.spec ?? {};
  if (!spec.policyName) errs.push(field.required('spec.policyName'));
  else for (const msg of isDNS1123Subdomain(spec.policyName)) errs.push(field.invalid('spec.policyName', spec.policyName, msg));
  const ref = spec.paramRef;
  if (ref) {
    if (ref.name && ref.selector) errs.push(field.forbidden('spec.paramRef.name', 'name and selector are mutually exclusive'));
    if (!ref.name && !ref.selector) errs.push(field.required('spec.paramRef', 'one of name or selector must be specified'));
    if (ref.selector) errs.push(...validateLabelSelector(ref.selector, 'spec.paramRef.selector'));
    if (ref.parameterNotFoundAction === undefined) errs.push(field.required('spec.paramRef.parameterNotFoundAction'));
    else errs.push(...validateEnum(ref.parameterNotFoundAction, ['Allow', 'Deny'], 'spec.paramRef.parameterNotFoundAction'));
  }
  const actions = spec.validationActions ?? [];
  if (actions.length === 0) errs.push(field.required('spec.validationActions', 'at least one validation action is required'));
  actions.forEach((a, i) => {
    if (actions.indexOf(a) !== i) errs.push(field.duplicate(`spec.validationActions[${i}]`, a));
    errs.push(...validateEnum(a, validationActions, `spec.validationActions[${i}]`));
  });
  if (actions.includes('Deny') && actions.includes('Warn')) {
    errs.push(field.invalid('spec.validationActions', actions, 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
  }
  if (spec.matchResources) {
    (spec.matchResources.resourceRules ?? []).forEach((r, i) => errs.push(...validateRule(r, `spec.matchResources.resourceRules[${i}]`)));
    errs.push(...validateSelectors(spec.matchResources, 'spec.matchResources'));
  }
  return errs;
}

export const validatingadmissionpolicies: ResourceType<ValidatingAdmissionPolicy> = {
  group: GROUP, version: 'v1', kind: 'ValidatingAdmissionPolicy', resource: 'validatingadmissionpolicies',
  singular: 'validatingadmissionpolicy', namespaced: false, schema: ValidatingAdmissionPolicySchema,
  subresources: { status: true },
  hasGeneration: true,
  defaults(obj) {
    if (!obj.spec) return;
    obj.spec.failurePolicy ??= 'Fail';
    if (obj.spec.matchConstraints) defaultMatchResources(obj.spec.matchConstraints);
  },
  prepareForCreate(obj) {
    delete obj.status;
  },
  validate: (obj) => validatePolicy(obj),
  table: {
    columns: [
      nameColumn,
      { name: 'Validations', type: 'integer', description: 'Number of validations.' },
      { name: 'ParamKind', type: 'string', description: 'Kind of the parameter resources.' },
      ageColumn,
    ],
    cells(obj, now) {
      const p = obj.spec?.paramKind;
      return [obj.metadata.name ?? '', (obj.spec?.validations ?? []).length, p ? `${p.apiVersion ?? ''}/${p.kind ?? ''}` : '<unset>', ageOf(obj.metadata.creationTimestamp, now)];
    },
  },
};

export const validatingadmissionpolicybindings: ResourceType<ValidatingAdmissionPolicyBinding> = {
  group: GROUP, version: 'v1', kind: 'ValidatingAdmissionPolicyBinding', resource: 'validatingadmissionpolicybindings',
  singular: 'validatingadmissionpolicybinding', namespaced: false, schema: ValidatingAdmissionPolicyBindingSchema,
  hasGeneration: true,
  defaults(obj) {
    if (obj.spec?.matchResources) defaultMatchResources(obj.spec.matchResources);
  },
  validate: (obj) => validateBinding(obj),
  table: {
    columns: [
      nameColumn,
      { name: 'PolicyName', type: 'string', description: 'The policy bound.' },
      { name: 'ParamRef', type: 'string', description: 'Where the parameters come from.' },
      ageColumn,
    ],
    cells(obj, now) {
      const ref = obj.spec?.paramRef;
      // Without a namespace the parameters may be anywhere, shown as `*/name`, as upstream does.
      const param = !ref ? '<unset>' : ref.name ? `${ref.namespace || '*'}/${ref.name}` : ref.selector ? formatLabelSelector(ref.selector) : '<unset>';
      return [obj.metadata.name ?? '', obj.spec?.policyName ?? '', param, ageOf(obj.metadata.creationTimestamp, now)];
    },
  },
};
