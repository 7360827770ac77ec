/**
 * The ClusterRoles of the controllers that kube-controller-manager runs,
 * each bound to the controller's own ServiceAccount in kube-system (when the
 * controller manager runs with --use-service-account-credentials), as in
 * Kubernetes v1.32's controller_policy.go with default feature gates.
 *
 * Left out because their feature gate is off by default in v1.32:
 * resource-claim-controller (DynamicResourceAllocation, beta off),
 * service-cidrs-controller (MultiCIDRServiceAllocator, beta off),
 * volumeattributesclass-protection-controller (VolumeAttributesClass, beta
 * off), kube-apiserver-serving-clustertrustbundle-publisher
 * (ClusterTrustBundle, alpha), storage-version-garbage-collector
 * (StorageVersionAPI, alpha), storage-version-migrator-controller
 * (StorageVersionMigrator, alpha), selinux-warning-controller
 * (SELinuxChangePolicy, alpha). StatefulSetAutoDeletePVC is GA, so its rules
 * are in.
 */
import type { ClusterRole, PolicyRule, RoleBinding } from '../schema.js';
import { signerNames } from './cluster-roles.js';
import { clusterRole, clusterRoleBinding, KUBE_SYSTEM, serviceAccounts } from './objects.js';
import {
  admissionRegistrationGroup,
  appsGroup,
  authorizationGroup,
  autoscalingGroup,
  batchGroup,
  certificatesGroup,
  customMetricsGroup,
  discoveryGroup,
  eventsRule,
  extensionsGroup,
  externalMetricsGroup,
  legacyGroup,
  policyGroup,
  rbacGroup,
  resourceMetricsGroup,
  rule,
  rules,
  storageGroup,
} from './rule.js';

export const CONTROLLER_ROLE_PREFIX = 'system:controller:';

/** The ConfigMap in which the apiserver records when legacy service account tokens were last tracked. */
const legacyTokenTrackingConfigMap = 'kube-apiserver-legacy-service-account-token-tracking';

/** Each controller's service account (in kube-system) and its rules; the role is `system:controller:<account>`. */
const controllers: [serviceAccount: string, rules: PolicyRule[]][] = [
  [
    'attachdetach-controller',
    rules(
      rule('list', 'watch').groups(legacyGroup).resources('persistentvolumes', 'persistentvolumeclaims'),
      rule('get', 'list', 'watch').groups(legacyGroup).resources('nodes'),
      rule('patch', 'update').groups(legacyGroup).resources('nodes/status'),
      rule('list', 'watch').groups(legacyGroup).resources('pods'),
      eventsRule(),
      rule('get', 'create', 'delete', 'list', 'watch').groups(storageGroup).resources('volumeattachments'),
      rule('get', 'watch', 'list').groups(storageGroup).resources('csidrivers'),
      rule('get', 'watch', 'list').groups(storageGroup).resources('csinodes'),
    ),
  ],
  // It must be able to write any rules into the aggregated roles, hence escalate.
  ['clusterrole-aggregation-controller', rules(rule('escalate', 'get', 'list', 'watch', 'update', 'patch').groups(rbacGroup).resources('clusterroles'))],
  [
    'cronjob-controller',
    rules(
      rule('get', 'list', 'watch', 'update').groups(batchGroup).resources('cronjobs'),
      rule('get', 'list', 'watch', 'create', 'update', 'delete', 'patch').groups(batchGroup).resources('jobs'),
      rule('update').groups(batchGroup).resources('cronjobs/status'),
      rule('update').groups(batchGroup).resources('cronjobs/finalizers'),
      rule('list', 'watch', 'delete').groups(legacyGroup).resources('pods'),
      eventsRule(),
    ),
  ],
  [
    'daemon-set-controller',
    rules(
      rule('get', 'list', 'watch').groups(extensionsGroup, appsGroup).resources('daemonsets'),
      rule('update').groups(extensionsGroup, appsGroup).resources('daemonsets/status'),
      rule('update').groups(extensionsGroup, appsGroup).resources('daemonsets/finalizers'),
      rule('list', 'watch').groups(legacyGroup).resources('nodes'),
      rule('list', 'watch', 'create', 'delete', 'patch').groups(legacyGroup).resources('pods'),
      rule('create').groups(legacyGroup).resources('pods/binding'),
      rule('get', 'list', 'watch', 'create', 'delete', 'update', 'patch').groups(appsGroup).resources('controllerrevisions'),
      eventsRule(),
    ),
  ],
  [
    'deployment-controller',
    rules(
      rule('get', 'list', 'watch', 'update').groups(extensionsGroup, appsGroup).resources('deployments'),
      rule('update').groups(extensionsGroup, appsGroup).resources('deployments/status'),
      rule('update').groups(extensionsGroup, appsGroup).resources('deployments/finalizers'),
      rule('get', 'list', 'watch', 'create', 'update', 'patch', 'delete').groups(appsGroup, extensionsGroup).resources('replicasets'),
      // update of pods stays until upstream issue 36897 is resolved.
      rule('get', 'list', 'watch', 'update').groups(legacyGroup).resources('pods'),
      eventsRule(),
    ),
  ],
  [
    'disruption-controller',
    rules(
      rule('get', 'list', 'watch').groups(extensionsGroup, appsGroup).resources('deployments'),
      rule('get', 'list', 'watch').groups(appsGroup, extensionsGroup).resources('replicasets'),
      rule('get', 'list', 'watch').groups(legacyGroup).resources('replicationcontrollers'),
      rule('get', 'list', 'watch').groups(policyGroup).resources('poddisruptionbudgets'),
      rule('get', 'list', 'watch').groups(appsGroup).resources('statefulsets'),
      rule('update').groups(policyGroup).resources('poddisruptionbudgets/status'),
      rule('patch', 'update').groups(legacyGroup).resources('pods/status'),
      // The scale of any workload a budget's pods belong to.
      rule('get').groups('*').resources('*/scale'),
      eventsRule(),
    ),
  ],
  [
    'endpoint-controller',
    rules(
      rule('get', 'list', 'watch').groups(legacyGroup).resources('services', 'pods'),
      rule('get', 'list', 'watch', 'create', 'update', 'delete').groups(legacyGroup).resources('endpoints'),
      rule('create').groups(legacyGroup).resources('endpoints/restricted'),
      eventsRule(),
    ),
  ],
  [
    'endpointslice-controller',
    rules(
      rule('get', 'list', 'watch').groups(legacyGroup).resources('services', 'pods', 'nodes'),
      // Owner references with blockOwnerDeletion need update of the owner's finalizers.
      rule('update').groups(legacyGroup).resources('services/finalizers'),
      rule('get', 'list', 'watch', 'create', 'update', 'delete').groups(discoveryGroup).resources('endpointslices'),
      eventsRule(),
    ),
  ],
  [
    'endpointslicemirroring-controller',
    rules(
      rule('get', 'list', 'watch').groups(legacyGroup).resources('services', 'endpoints'),
      rule('update').groups(legacyGroup).resources('services/finalizers'),
      rule('update').groups(legacyGroup).resources('endpoints/finalizers'),
      rule('get', 'list', 'watch', 'create', 'update', 'delete').groups(discoveryGroup).resources('endpointslices'),
      eventsRule(),
    ),
  ],
  [
    'expand-controller',
    rules(
      rule('get', 'list', 'watch', 'update', 'patch').groups(legacyGroup).resources('persistentvolumes'),
      rule('update', 'patch').groups(legacyGroup).resources('persistentvolumeclaims/status'),
      rule('get', 'list', 'watch').groups(legacyGroup).resources('persistentvolumeclaims'),
      eventsRule(),
      // The portworx volume plugin.
      rule('get').groups(legacyGroup).resources('services'),
    ),
  ],
  [
    'ephemeral-volume-controller',
    rules(
      rule('get', 'list', 'watch').groups(legacyGroup).resources('pods'),
      rule('update').groups(legacyGroup).resources('pods/finalizers'),
      rule('get', 'list', 'watch', 'create').groups(legacyGroup).resources('persistentvolumeclaims'),
      eventsRule(),
    ),
  ],
  // Lists, watches, gets and updates any resource to follow owner references.
  ['generic-garbage-collector', rules(rule('get', 'list', 'watch', 'patch', 'update', 'delete').groups('*').resources('*'), eventsRule())],
  [
    'horizontal-pod-autoscaler',
    rules(
      rule('get', 'list', 'watch').groups(autoscalingGroup).resources('horizontalpodautoscalers'),
      rule('update').groups(autoscalingGroup).resources('horizontalpodautoscalers/status'),
      rule('get', 'update').groups('*').resources('*/scale'),
      rule('list', 'watch').groups(legacyGroup).resources('pods'),
      // Resource, custom and external metrics.
      rule('list', 'watch').groups(resourceMetricsGroup).resources('pods'),
      rule('get', 'list', 'watch').groups(customMetricsGroup).resources('*'),
      rule('get', 'list', 'watch').groups(externalMetricsGroup).resources('*'),
      eventsRule(),
    ),
  ],
  [
    'job-controller',
    rules(
      rule('get', 'list', 'watch', 'update', 'patch').groups(batchGroup).resources('jobs'),
      rule('update').groups(batchGroup).resources('jobs/status'),
      rule('update').groups(batchGroup).resources('jobs/finalizers'),
      rule('list', 'watch', 'create', 'delete', 'patch').groups(legacyGroup).resources('pods'),
      eventsRule(),
    ),
  ],
  [
    'namespace-controller',
    rules(
      rule('get', 'list', 'watch', 'delete').groups(legacyGroup).resources('namespaces'),
      rule('update').groups(legacyGroup).resources('namespaces/finalize', 'namespaces/status'),
      rule('get', 'list', 'watch', 'delete', 'deletecollection').groups('*').resources('*'),
    ),
  ],
  [
    'node-controller',
    rules(
      rule('get', 'list', 'watch', 'update', 'delete', 'patch').groups(legacyGroup).resources('nodes'),
      rule('patch', 'update').groups(legacyGroup).resources('nodes/status'),
      // Evicting the pods of unreachable nodes.
      rule('patch', 'update').groups(legacyGroup).resources('pods/status'),
      rule('list', 'watch', 'get', 'delete').groups(legacyGroup).resources('pods'),
      eventsRule(),
    ),
  ],
  [
    'persistent-volume-binder',
    rules(
      rule('get', 'list', 'watch', 'update', 'create', 'delete').groups(legacyGroup).resources('persistentvolumes'),
      rule('update').groups(legacyGroup).resources('persistentvolumes/status'),
      rule('get', 'list', 'watch', 'update').groups(legacyGroup).resources('persistentvolumeclaims'),
      rule('update').groups(legacyGroup).resources('persistentvolumeclaims/status'),
      rule('list', 'watch', 'get', 'create', 'delete').groups(legacyGroup).resources('pods'),
      rule('get', 'list', 'watch').groups(storageGroup).resources('storageclasses'),
      rule('list', 'watch').groups(legacyGroup).resources('nodes'),
      eventsRule(),
      // The recycler watches its pod's events.
      rule('watch').groups(legacyGroup).resources('events'),
      // The portworx volume plugin.
      rule('get').groups(legacyGroup).resources('services'),
    ),
  ],
  [
    'pod-garbage-collector',
    rules(
      rule('list', 'watch', 'delete').groups(legacyGroup).resources('pods'),
      rule('get', 'list', 'watch').groups(legacyGroup).resources('nodes'),
      rule('patch').groups(legacyGroup).resources('pods/status'),
    ),
  ],
  [
    'replicaset-controller',
    rules(
      rule('get', 'list', 'watch', 'update').groups(appsGroup, extensionsGroup).resources('replicasets'),
      rule('update').groups(appsGroup, extensionsGroup).resources('replicasets/status'),
      rule('update').groups(appsGroup, extensionsGroup).resources('replicasets/finalizers'),
      rule('list', 'watch', 'patch', 'create', 'delete').groups(legacyGroup).resources('pods'),
      eventsRule(),
    ),
  ],
  [
    'replication-controller',
    rules(
      // get and update on the controllers themselves keep 1.0-era controllers working against newer servers.
      rule('get', 'list', 'watch', 'update').groups(legacyGroup).resources('replicationcontrollers'),
      rule('update').groups(legacyGroup).resources('replicationcontrollers/status'),
      rule('update').groups(legacyGroup).resources('replicationcontrollers/finalizers'),
      rule('list', 'watch', 'patch', 'create', 'delete').groups(legacyGroup).resources('pods'),
      eventsRule(),
    ),
  ],
  // Quota may count anything, so it must see everything.
  ['resourcequota-controller', rules(rule('list', 'watch').groups('*').resources('*'), rule('update').groups(legacyGroup).resources('resourcequotas/status'), eventsRule())],
  ['route-controller', rules(rule('list', 'watch').groups(legacyGroup).resources('nodes'), rule('patch').groups(legacyGroup).resources('nodes/status'), eventsRule())],
  ['service-account-controller', rules(rule('create').groups(legacyGroup).resources('serviceaccounts'), eventsRule())],
  [
    'service-controller',
    rules(
      rule('get', 'list', 'watch').groups(legacyGroup).resources('services'),
      rule('patch', 'update').groups(legacyGroup).resources('services/status'),
      rule('list', 'watch').groups(legacyGroup).resources('nodes'),
      eventsRule(),
    ),
  ],
  [
    'statefulset-controller',
    rules(
      rule('list', 'watch').groups(legacyGroup).resources('pods'),
      rule('get', 'list', 'watch').groups(appsGroup).resources('statefulsets'),
      rule('update').groups(appsGroup).resources('statefulsets/status'),
      rule('update').groups(appsGroup).resources('statefulsets/finalizers'),
      rule('get', 'create', 'delete', 'update', 'patch').groups(legacyGroup).resources('pods'),
      rule('get', 'create', 'delete', 'update', 'patch', 'list', 'watch').groups(appsGroup).resources('controllerrevisions'),
      rule('get', 'create', 'list', 'watch').groups(legacyGroup).resources('persistentvolumeclaims'),
      eventsRule(),
      // StatefulSetAutoDeletePVC (GA in v1.32): the claims' retention policy.
      rule('update', 'delete').groups(legacyGroup).resources('persistentvolumeclaims'),
      rule('update').groups(legacyGroup).resources('pods/finalizers'),
    ),
  ],
  ['ttl-controller', rules(rule('update', 'patch', 'list', 'watch').groups(legacyGroup).resources('nodes'), eventsRule())],
  [
    'certificate-controller',
    rules(
      rule('get', 'list', 'watch', 'delete').groups(certificatesGroup).resources('certificatesigningrequests'),
      rule('update').groups(certificatesGroup).resources('certificatesigningrequests/status', 'certificatesigningrequests/approval'),
      rule('approve').groups(certificatesGroup).resources('signers').names(signerNames.kubeAPIServerClientKubeletSigner),
      rule('sign')
        .groups(certificatesGroup)
        .resources('signers')
        .names(signerNames.legacyUnknownSigner, signerNames.kubeAPIServerClientSigner, signerNames.kubeAPIServerClientKubeletSigner, signerNames.kubeletServingSigner),
      rule('create').groups(authorizationGroup).resources('subjectaccessreviews'),
      eventsRule(),
    ),
  ],
  [
    'pvc-protection-controller',
    rules(rule('get', 'list', 'watch', 'update').groups(legacyGroup).resources('persistentvolumeclaims'), rule('list', 'watch', 'get').groups(legacyGroup).resources('pods'), eventsRule()),
  ],
  ['pv-protection-controller', rules(rule('get', 'list', 'watch', 'update').groups(legacyGroup).resources('persistentvolumes'), eventsRule())],
  ['ttl-after-finished-controller', rules(rule('get', 'list', 'watch', 'delete').groups(batchGroup).resources('jobs'), eventsRule())],
  ['root-ca-cert-publisher', rules(rule('create', 'update').groups(legacyGroup).resources('configmaps'), eventsRule())],
  [
    'validatingadmissionpolicy-status-controller',
    rules(
      rule('get', 'list', 'watch').groups(admissionRegistrationGroup).resources('validatingadmissionpolicies'),
      rule('get', 'patch', 'update').groups(admissionRegistrationGroup).resources('validatingadmissionpolicies/status'),
      eventsRule(),
    ),
  ],
  [
    'legacy-service-account-token-cleaner',
    rules(rule('get').groups(legacyGroup).resources('configmaps').names(legacyTokenTrackingConfigMap), rule('patch', 'delete').groups(legacyGroup).resources('secrets')),
  ],
];

/** The controllers' service accounts (in kube-system), each to the name of its ClusterRole. */
export const controllerServiceAccounts: ReadonlyMap<string, string> = new Map(controllers.map(([account]) => [account, CONTROLLER_ROLE_PREFIX + account]));

export function controllerRoles(): ClusterRole[] {
  return controllers.map(([account, rules]) => clusterRole(CONTROLLER_ROLE_PREFIX + account, structuredClone(rules)));
}

/** Each controller role bound, under its own name, to the controller's service account in kube-system. */
export function controllerRoleBindings(): RoleBinding[] {
  return controllers.map(([account]) => clusterRoleBinding(CONTROLLER_ROLE_PREFIX + account, serviceAccounts(KUBE_SYSTEM, account)));
}
