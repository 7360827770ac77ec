/**
 * skiff's default RBAC policy: the roles and bindings a Kubernetes v1.32
 * apiserver creates at start (upstream's plugin/pkg/auth/authorizer/rbac/
 * bootstrappolicy, with default feature gates), and the reconciliation that
 * keeps stored copies up to date without undoing what an admin changed
 * (reconcile.ts). See README.md.
 */
import type { ClusterRole, Role, RoleBinding } from '../schema.js';
import { clusterRoleBindings } from './cluster-role-bindings.js';
import { aggregatedRules } from '../aggregation.js';
import { clusterRoles } from './cluster-roles.js';
import { controllerRoleBindings, controllerRoles } from './controller-roles.js';
import { namespaceRoleBindings, namespaceRoles } from './namespace-roles.js';

export interface BootstrapPolicy {
  /** The default ClusterRoles, the controllers' `system:controller:*` roles among them. */
  clusterRoles: ClusterRole[];
  /** The default ClusterRoleBindings, each controller's to its kube-system service account among them. */
  clusterRoleBindings: RoleBinding[];
  /** Roles in kube-system and kube-public. */
  roles: Role[];
  /** RoleBindings in kube-system and kube-public. */
  roleBindings: RoleBinding[];
}

/**
 * The whole default policy, as fresh objects (the caller may change them).
 * Every object has apiVersion and kind, the label
 * `kubernetes.io/bootstrapping: rbac-defaults` and the annotation
 * `rbac.authorization.kubernetes.io/autoupdate: "true"`. Write each with
 * reconcileClusterRole / reconcileRole / reconcileBinding against what is
 * stored: roles before bindings, as upstream does.
 */
export function bootstrapPolicy(): BootstrapPolicy {
  const roles = [...clusterRoles(), ...controllerRoles()];
  // admin, edit and view hold their parts' rules from the start (the aggregation controller keeps them so).
  // Aggregated roles aggregate each other (view into edit into admin): a few passes reach the fixed point.
  for (let pass = 0; pass < 4; pass++) for (const role of roles) if (role.aggregationRule) role.rules = aggregatedRules(role, roles);
  return {
    clusterRoles: roles,
    clusterRoleBindings: [...clusterRoleBindings(), ...controllerRoleBindings()],
    roles: namespaceRoles(),
    roleBindings: namespaceRoleBindings(),
  };
}

export { AGGREGATE_TO_ADMIN, AGGREGATE_TO_EDIT, AGGREGATE_TO_VIEW } from './cluster-roles.js';
export { CONTROLLER_ROLE_PREFIX, controllerServiceAccounts } from './controller-roles.js';
export { AUTOUPDATE_ANNOTATION, BOOTSTRAPPING_LABEL, BOOTSTRAPPING_VALUE } from './objects.js';
export { reconcileBinding, reconcileClusterRole, reconcileRole, type ReconcileAction } from './reconcile.js';
