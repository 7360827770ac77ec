/** RBAC validation, after upstream's pkg/apis/rbac/validation. */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isDNS1123Subdomain, isPathSegmentName, validateObjectMeta } from '../../machinery/validation.js';
import { validateLabelSelector } from '../common/selector.js';
import { RBAC_GROUP, type ClusterRole, type PolicyRule, type Role, type RoleBinding, type Subject } from './schema.js';

/** Roles and bindings are only ever path segments, so upstream checks little more than that. */
const rbacName = isPathSegmentName;

export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (!rule.verbs?.length) errs.push(field.required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (rule.nonResourceURLs?.length) {
    if (namespaced) errs.push(field.invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(field.invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!rule.apiGroups?.length) errs.push(field.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!rule.resources?.length) errs.push(field.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

export function validateRole(role: Role, namespaced: boolean): FieldErrorLike[] {
  const errs = validateObjectMeta(role.metadata, { namespaced, nameValidator: rbacName });
  (role.rules ?? []).forEach((rule, i) => errs.push(...validatePolicyRule(rule, namespaced, `rules[${i}]`)));
  return errs;
}

export function validateClusterRole(role: ClusterRole): FieldErrorLike[] {
  const errs = validateRole(role, false);
  if (role.aggregationRule) {
    const selectors = role.aggregationRule.clusterRoleSelectors ?? [];
    if (selectors.length === 0) {
      errs.push(field.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    }
    selectors.forEach((sel, i) => errs.push(...validateLabelSelector(sel, `aggregationRule.clusterRoleSelectors[${i}]`)));
  }
  return errs;
}

export function validateSubject(subject: Subject, namespaced: boolean, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (!subject.name) errs.push(field.required(`${path}.name`));
  switch (subject.kind) {
    case 'ServiceAccount':
      if (subject.name) for (const msg of isDNS1123Subdomain(subject.name)) errs.push(field.invalid(`${path}.name`, subject.name, msg));
      if (subject.apiGroup) errs.push(field.notSupported(`${path}.apiGroup`, subject.apiGroup, ['']));
      if (!namespaced && !subject.namespace) errs.push(field.required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (subject.apiGroup !== RBAC_GROUP) errs.push(field.notSupported(`${path}.apiGroup`, subject.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(field.notSupported(`${path}.kind`, subject.kind, ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

export function validateBinding(binding: RoleBinding, namespaced: boolean): FieldErrorLike[] {
  const errs = validateObjectMeta(binding.metadata, { namespaced, nameValidator: rbacName });
  const ref = binding.roleRef ?? ({} as RoleBinding['roleRef']);
  if (ref.apiGroup !== RBAC_GROUP) errs.push(field.notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(field.notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push(field.required('roleRef.name'));
  else for (const msg of rbacName(ref.name)) errs.push(field.invalid('roleRef.name', ref.name, msg));
  (binding.subjects ?? []).forEach((subject, i) => errs.push(...validateSubject(subject, namespaced, `subjects[${i}]`)));
  return errs;
}

export function validateBindingUpdate(binding: RoleBinding, old: RoleBinding): FieldErrorLike[] {
  const same = ['apiGroup', 'kind', 'name'].every((k) => binding.roleRef?.[k as keyof RoleBinding['roleRef']] === old.roleRef?.[k as keyof RoleBinding['roleRef']]);
  return same ? [] : [field.invalid('roleRef', binding.roleRef, 'cannot change roleRef')];
}
