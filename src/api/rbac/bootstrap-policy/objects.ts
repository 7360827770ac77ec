/**
 * Makers of the policy's objects. Each object carries what upstream puts on
 * every default role and binding: the label that says it came from the
 * bootstrap policy, and the annotation that lets the apiserver keep it up to
 * date (an admin sets it to "false" to keep their own version).
 */
import type { LabelSelector } from '../../common/selector.js';
import { RBAC_GROUP, type ClusterRole, type PolicyRule, type Role, type RoleBinding, type Subject } from '../schema.js';

export const API_VERSION = `${RBAC_GROUP}/v1`;
export const BOOTSTRAPPING_LABEL = 'kubernetes.io/bootstrapping';
export const BOOTSTRAPPING_VALUE = 'rbac-defaults';
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';

const defaultMetadata = (labels: Record<string, string> = {}) => ({
  labels: { ...labels, [BOOTSTRAPPING_LABEL]: BOOTSTRAPPING_VALUE },
  annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
});

export interface ClusterRoleOptions {
  /** Labels besides the bootstrapping one, e.g. `rbac.authorization.k8s.io/aggregate-to-view`. */
  labels?: Record<string, string>;
  /** Selectors of an aggregated role, whose rules the aggregation controller fills in. */
  aggregateFrom?: LabelSelector[];
}

/** A default ClusterRole. An aggregated role has no rules of its own (upstream leaves them unset). */
export function clusterRole(name: string, rules: PolicyRule[] | undefined, options: ClusterRoleOptions = {}): ClusterRole {
  const role: ClusterRole = { apiVersion: API_VERSION, kind: 'ClusterRole', metadata: { name, ...defaultMetadata(options.labels) } };
  if (options.aggregateFrom) role.aggregationRule = { clusterRoleSelectors: options.aggregateFrom };
  if (rules) role.rules = rules;
  return role;
}

/** A default Role in a system namespace. */
export function namespacedRole(namespace: string, name: string, rules: PolicyRule[]): Role {
  return { apiVersion: API_VERSION, kind: 'Role', metadata: { name, namespace, ...defaultMetadata() }, rules };
}

/** A default ClusterRoleBinding, named after its ClusterRole unless told otherwise. An empty subject list is left unset, as upstream. */
export function clusterRoleBinding(roleName: string, subjects: Subject[], name = roleName): RoleBinding {
  const binding: RoleBinding = {
    apiVersion: API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata: { name, ...defaultMetadata() },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: roleName },
  };
  if (subjects.length > 0) binding.subjects = subjects;
  return binding;
}

/** A default RoleBinding of a Role of the same namespace. */
export function namespacedRoleBinding(namespace: string, roleName: string, subjects: Subject[], name = roleName): RoleBinding {
  return {
    apiVersion: API_VERSION,
    kind: 'RoleBinding',
    metadata: { name, namespace, ...defaultMetadata() },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: roleName },
    subjects,
  };
}

export const users = (...names: string[]): Subject[] => names.map((name) => ({ kind: 'User', apiGroup: RBAC_GROUP, name }));
export const groups = (...names: string[]): Subject[] => names.map((name) => ({ kind: 'Group', apiGroup: RBAC_GROUP, name }));
/** Service accounts carry no apiGroup (the core group), as upstream writes them. */
export const serviceAccounts = (namespace: string, ...names: string[]): Subject[] => names.map((name) => ({ kind: 'ServiceAccount', name, namespace }));

// Well-known users and groups (upstream's k8s.io/apiserver user package).
export const SYSTEM_MASTERS = 'system:masters';
export const SYSTEM_MONITORING = 'system:monitoring';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
export const ALL_SERVICE_ACCOUNTS = 'system:serviceaccounts';
export const KUBE_PROXY = 'system:kube-proxy';
export const KUBE_CONTROLLER_MANAGER = 'system:kube-controller-manager';
export const KUBE_SCHEDULER = 'system:kube-scheduler';
export const KUBE_SYSTEM = 'kube-system';
export const KUBE_PUBLIC = 'kube-public';
