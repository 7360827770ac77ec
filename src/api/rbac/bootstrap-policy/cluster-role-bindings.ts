/**
 * The default ClusterRoleBindings of Kubernetes v1.32 (upstream's
 * bootstrappolicy policy.go, default feature gates), other than the
 * controllers' (controller-roles.ts). Left out: the binding of
 * system:cluster-trust-bundle-discovery (ClusterTrustBundle, alpha).
 */
import type { RoleBinding } from '../schema.js';
import {
  ALL_AUTHENTICATED,
  ALL_SERVICE_ACCOUNTS,
  ALL_UNAUTHENTICATED,
  clusterRoleBinding,
  groups,
  KUBE_CONTROLLER_MANAGER,
  KUBE_PROXY,
  KUBE_SCHEDULER,
  KUBE_SYSTEM,
  serviceAccounts,
  SYSTEM_MASTERS,
  SYSTEM_MONITORING,
  users,
} from './objects.js';

export function clusterRoleBindings(): RoleBinding[] {
  return [
    clusterRoleBinding('cluster-admin', groups(SYSTEM_MASTERS)),
    clusterRoleBinding('system:monitoring', groups(SYSTEM_MONITORING)),
    clusterRoleBinding('system:discovery', groups(ALL_AUTHENTICATED)),
    clusterRoleBinding('system:basic-user', groups(ALL_AUTHENTICATED)),
    clusterRoleBinding('system:public-info-viewer', groups(ALL_AUTHENTICATED, ALL_UNAUTHENTICATED)),
    clusterRoleBinding('system:node-proxier', users(KUBE_PROXY)),
    clusterRoleBinding('system:kube-controller-manager', users(KUBE_CONTROLLER_MANAGER)),
    clusterRoleBinding('system:kube-dns', serviceAccounts(KUBE_SYSTEM, 'kube-dns')),
    clusterRoleBinding('system:kube-scheduler', users(KUBE_SCHEDULER)),
    clusterRoleBinding('system:volume-scheduler', users(KUBE_SCHEDULER)),
    // Binding system:node to the system:nodes group was deprecated (1.7) by the Node authorizer. The binding
    // stays, without subjects, so that a reconciliation that removes extra subjects can empty old copies.
    clusterRoleBinding('system:node', []),
    // Every service account may read the OIDC discovery documents: nothing there that its own token does not tell.
    clusterRoleBinding('system:service-account-issuer-discovery', groups(ALL_SERVICE_ACCOUNTS)),
  ];
}
