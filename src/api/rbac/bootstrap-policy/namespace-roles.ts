/**
 * The default Roles and RoleBindings in kube-system and kube-public
 * (Kubernetes v1.32's namespace_policy.go). None depends on a feature gate.
 */
import type { Role, RoleBinding } from '../schema.js';
import { CONTROLLER_ROLE_PREFIX } from './controller-roles.js';
import { KUBE_CONTROLLER_MANAGER, KUBE_PUBLIC, KUBE_SCHEDULER, KUBE_SYSTEM, namespacedRole, namespacedRoleBinding, serviceAccounts, users } from './objects.js';
import { coordinationGroup, eventsRule, legacyGroup, rule, rules } from './rule.js';

/** Leader election of a component: its lock ConfigMap (older releases), Leases, and LeaseCandidates (coordinated leader election). */
function leaderLockingRole(component: string): Role {
  return namespacedRole(
    KUBE_SYSTEM,
    `system::leader-locking-${component}`,
    rules(
      rule('watch').groups(legacyGroup).resources('configmaps'),
      rule('get', 'update').groups(legacyGroup).resources('configmaps').names(component),
      rule('get', 'watch', 'list', 'create', 'update').groups(coordinationGroup).resources('leases'),
      rule('get', 'watch', 'list', 'create', 'update').groups(coordinationGroup).resources('leasecandidates'),
    ),
  );
}

export function namespaceRoles(): Role[] {
  return [
    // The extension-apiserver-authentication ConfigMap tells aggregated API servers how to authenticate requests.
    namespacedRole(KUBE_SYSTEM, 'extension-apiserver-authentication-reader', rules(rule('get', 'list', 'watch').groups(legacyGroup).resources('configmaps').names('extension-apiserver-authentication'))),
    // The bootstrap signer inspects bootstrap token secrets.
    namespacedRole(KUBE_SYSTEM, `${CONTROLLER_ROLE_PREFIX}bootstrap-signer`, rules(rule('get', 'list', 'watch').groups(legacyGroup).resources('secrets'))),
    // Deprecated since 1.10 and kept by upstream's deprecation policy.
    namespacedRole(KUBE_SYSTEM, `${CONTROLLER_ROLE_PREFIX}cloud-provider`, rules(rule('create', 'get', 'list', 'watch').groups(legacyGroup).resources('configmaps'))),
    // The token cleaner removes expired bootstrap tokens, only in kube-system.
    namespacedRole(KUBE_SYSTEM, `${CONTROLLER_ROLE_PREFIX}token-cleaner`, rules(rule('get', 'list', 'watch', 'delete').groups(legacyGroup).resources('secrets'), eventsRule())),
    leaderLockingRole('kube-controller-manager'),
    leaderLockingRole('kube-scheduler'),
    // The bootstrap signer signs the cluster-info ConfigMap that joining nodes read.
    namespacedRole(
      KUBE_PUBLIC,
      `${CONTROLLER_ROLE_PREFIX}bootstrap-signer`,
      rules(rule('get', 'list', 'watch').groups(legacyGroup).resources('configmaps'), rule('update').groups(legacyGroup).resources('configmaps').names('cluster-info'), eventsRule()),
    ),
  ];
}

export function namespaceRoleBindings(): RoleBinding[] {
  return [
    namespacedRoleBinding(KUBE_SYSTEM, 'extension-apiserver-authentication-reader', users(KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER), 'system::extension-apiserver-authentication-reader'),
    // Also the leader-election-controller account, which manages LeaseCandidates.
    namespacedRoleBinding(KUBE_SYSTEM, 'system::leader-locking-kube-controller-manager', [
      ...users(KUBE_CONTROLLER_MANAGER),
      ...serviceAccounts(KUBE_SYSTEM, 'kube-controller-manager', 'leader-election-controller'),
    ]),
    namespacedRoleBinding(KUBE_SYSTEM, 'system::leader-locking-kube-scheduler', [...users(KUBE_SCHEDULER), ...serviceAccounts(KUBE_SYSTEM, 'kube-scheduler')]),
    namespacedRoleBinding(KUBE_SYSTEM, `${CONTROLLER_ROLE_PREFIX}bootstrap-signer`, serviceAccounts(KUBE_SYSTEM, 'bootstrap-signer')),
    namespacedRoleBinding(KUBE_SYSTEM, `${CONTROLLER_ROLE_PREFIX}cloud-provider`, serviceAccounts(KUBE_SYSTEM, 'cloud-provider')),
    namespacedRoleBinding(KUBE_SYSTEM, `${CONTROLLER_ROLE_PREFIX}token-cleaner`, serviceAccounts(KUBE_SYSTEM, 'token-cleaner')),
    namespacedRoleBinding(KUBE_PUBLIC, `${CONTROLLER_ROLE_PREFIX}bootstrap-signer`, serviceAccounts(KUBE_SYSTEM, 'bootstrap-signer')),
  ];
}
