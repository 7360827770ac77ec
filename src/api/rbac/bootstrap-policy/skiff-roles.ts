/**
 * Roles upstream does not have, for what skiff runs itself where a
 * Kubernetes cluster runs a separate program (each with its own identity):
 *
 * - the CustomResourceDefinition controllers (upstream: inside kube-apiserver),
 *   as the kube-system service account `crd-controller`;
 * - a node's network components beyond kube-proxy's role — cluster DNS,
 *   the Ingress controller, NetworkPolicy, the node's own endpoints of
 *   kube-dns and kubernetes, LoadBalancer addresses — as system:kube-proxy;
 * - the node agent's local volume provisioner (upstream: a separate
 *   local-path-provisioner), each node's with its own certificate in the
 *   group skiff:local-path-provisioners (a node itself may not bind claims);
 * - metrics-server's system:aggregated-metrics-reader, aggregated into view,
 *   edit and admin, since skiff serves metrics.k8s.io itself: whoever may
 *   view a namespace may `kubectl top` its pods.
 */
import type { ClusterRole, RoleBinding } from '../schema.js';
import { clusterRole, clusterRoleBinding, groups, KUBE_PROXY, KUBE_SYSTEM, serviceAccounts, users } from './objects.js';
import { apiExtensionsGroup, discoveryGroup, eventsRule, legacyGroup, networkingGroup, read, resourceMetricsGroup, rule, rules, storageGroup } from './rule.js';
import { AGGREGATE_TO_ADMIN, AGGREGATE_TO_EDIT, AGGREGATE_TO_VIEW } from './cluster-roles.js';

export const CRD_CONTROLLER_ACCOUNT = 'crd-controller';
export const NODE_NETWORK_ROLE = 'skiff:node-network';
export const LOCAL_VOLUME_PROVISIONER_ROLE = 'skiff:local-volume-provisioner';
/** The group of every node's local-path provisioner (its certificate's O). */
export const LOCAL_PATH_PROVISIONERS_GROUP = 'skiff:local-path-provisioners';

export function skiffPolicy(): { clusterRoles: ClusterRole[]; clusterRoleBindings: RoleBinding[] } {
  return {
    clusterRoles: [
      clusterRole(
        `system:controller:${CRD_CONTROLLER_ACCOUNT}`,
        rules(
          rule(...read, 'update', 'patch').groups(apiExtensionsGroup).resources('customresourcedefinitions', 'customresourcedefinitions/status'),
          // Deleting a CRD deletes its objects first, whatever their group.
          rule('list', 'delete', 'deletecollection').groups('*').resources('*'),
          eventsRule(),
        ),
      ),
      clusterRole(
        NODE_NETWORK_ROLE,
        rules(
          rule(...read).groups(legacyGroup).resources('services', 'endpoints', 'pods', 'namespaces', 'nodes', 'secrets'),
          rule('patch', 'update').groups(legacyGroup).resources('services/status'),
          rule(...read, 'create', 'update', 'patch', 'delete').groups(discoveryGroup).resources('endpointslices'),
          rule(...read).groups(networkingGroup).resources('ingresses', 'ingressclasses', 'networkpolicies'),
          rule('patch', 'update').groups(networkingGroup).resources('ingresses/status'),
          eventsRule(),
        ),
      ),
      clusterRole(
        LOCAL_VOLUME_PROVISIONER_ROLE,
        rules(
          rule(...read).groups(storageGroup).resources('storageclasses'),
          rule(...read, 'create', 'update', 'patch', 'delete').groups(legacyGroup).resources('persistentvolumes'),
          rule(...read, 'update', 'patch').groups(legacyGroup).resources('persistentvolumeclaims'),
          // It binds what it provisions, as the volume binder would: both objects' status.
          rule('update', 'patch').groups(legacyGroup).resources('persistentvolumes/status', 'persistentvolumeclaims/status'),
          eventsRule(),
        ),
      ),
      clusterRole('system:aggregated-metrics-reader', rules(rule(...read).groups(resourceMetricsGroup).resources('pods', 'nodes')), {
        labels: { [AGGREGATE_TO_VIEW]: 'true', [AGGREGATE_TO_EDIT]: 'true', [AGGREGATE_TO_ADMIN]: 'true' },
      }),
    ],
    clusterRoleBindings: [
      clusterRoleBinding(`system:controller:${CRD_CONTROLLER_ACCOUNT}`, serviceAccounts(KUBE_SYSTEM, CRD_CONTROLLER_ACCOUNT)),
      clusterRoleBinding(NODE_NETWORK_ROLE, users(KUBE_PROXY)),
      clusterRoleBinding(LOCAL_VOLUME_PROVISIONER_ROLE, groups(LOCAL_PATH_PROVISIONERS_GROUP)),
    ],
  };
}
