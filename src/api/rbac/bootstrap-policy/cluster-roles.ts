/**
 * The default ClusterRoles of Kubernetes v1.32 (upstream's bootstrappolicy
 * policy.go, with default feature gates), other than the controllers' own
 * `system:controller:*` roles (controller-roles.ts).
 *
 * Left out because their feature gate is off by default in v1.32:
 * system:cluster-trust-bundle-discovery (ClusterTrustBundle, alpha), and
 * the gated rules of system:node (DynamicResourceAllocation,
 * ClusterTrustBundle), system:kube-scheduler (DynamicResourceAllocation),
 * system:node-proxier (MultiCIDRServiceAllocator), system:kubelet-api-admin
 * (KubeletFineGrainedAuthz) and system:monitoring (ComponentFlagz,
 * ComponentStatusz).
 */
import type { ClusterRole } from '../schema.js';
import { clusterRole } from './objects.js';
import {
  appsGroup,
  authenticationGroup,
  authorizationGroup,
  autoscalingGroup,
  batchGroup,
  certificatesGroup,
  coordinationGroup,
  discoveryGroup,
  eventsRule,
  extensionsGroup,
  legacyGroup,
  networkingGroup,
  nodeGroup,
  policyGroup,
  rbacGroup,
  read,
  readUpdate,
  readWrite,
  rule,
  rules,
  storageGroup,
  write,
} from './rule.js';

export const AGGREGATE_TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
export const AGGREGATE_TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
export const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

// Names of the well-known certificate signers (certificates.k8s.io).
const kubeAPIServerClientSigner = 'kubernetes.io/kube-apiserver-client';
const kubeAPIServerClientKubeletSigner = 'kubernetes.io/kube-apiserver-client-kubelet';
const kubeletServingSigner = 'kubernetes.io/kubelet-serving';
const legacyUnknownSigner = 'kubernetes.io/legacy-unknown';
export const signerNames = { kubeAPIServerClientSigner, kubeAPIServerClientKubeletSigner, kubeletServingSigner, legacyUnknownSigner };

/** What a kubelet may do; the Node authorizer and the NodeRestriction admission plugin narrow it to the node's own objects. */
export function nodeRules() {
  return rules(
    // Checking API access; these creates change nothing.
    rule('create').groups(authenticationGroup).resources('tokenreviews'),
    rule('create').groups(authorizationGroup).resources('subjectaccessreviews', 'localsubjectaccessreviews'),
    // The service lister that fills in service environment variables.
    rule(...read).groups(legacyGroup).resources('services'),
    // Registering its Node and reporting status.
    rule('create', 'get', 'list', 'watch').groups(legacyGroup).resources('nodes'),
    rule('update', 'patch').groups(legacyGroup).resources('nodes/status'),
    rule('update', 'patch').groups(legacyGroup).resources('nodes'),
    rule('create', 'update', 'patch').groups(legacyGroup).resources('events'),
    rule(...read).groups(legacyGroup).resources('pods'),
    // Mirror pods, pod status and evictions of its own pods.
    rule('create', 'delete').groups(legacyGroup).resources('pods'),
    rule('update', 'patch').groups(legacyGroup).resources('pods/status'),
    rule('create').groups(legacyGroup).resources('pods/eviction'),
    // Volumes, image pull secrets and environment of its pods.
    rule('get', 'list', 'watch').groups(legacyGroup).resources('secrets', 'configmaps'),
    rule('get').groups(legacyGroup).resources('persistentvolumeclaims', 'persistentvolumes'),
    rule('get').groups(legacyGroup).resources('endpoints'),
    // Rotating its own client certificate.
    rule('create', 'get', 'list', 'watch').groups(certificatesGroup).resources('certificatesigningrequests'),
    rule('get', 'create', 'update', 'patch', 'delete').groups(coordinationGroup).resources('leases'),
    rule('get').groups(storageGroup).resources('volumeattachments'),
    rule('create').groups(legacyGroup).resources('serviceaccounts/token'),
    rule('get', 'update', 'patch').groups(legacyGroup).resources('persistentvolumeclaims/status'),
    rule('get', 'watch', 'list').groups(storageGroup).resources('csidrivers'),
    rule('get', 'create', 'update', 'patch', 'delete').groups(storageGroup).resources('csinodes'),
    rule('get', 'list', 'watch').groups(nodeGroup).resources('runtimeclasses'),
  );
}

export function clusterRoles(): ClusterRole[] {
  return [
    // Anything at all.
    clusterRole('cluster-admin', rules(rule('*').groups('*').resources('*'), rule('*').urls('*'))),
    // Enough to see whether the server is ready and to discover API versions.
    clusterRole('system:discovery', rules(rule('get').urls('/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'))),
    // Metrics and health checks, including the individual checks (which may tell more about the cluster).
    clusterRole('system:monitoring', rules(rule('get').urls('/metrics', '/metrics/slis', '/livez', '/readyz', '/healthz', '/livez/*', '/readyz/*', '/healthz/*'))),
    // What a user needs to learn about themselves.
    clusterRole(
      'system:basic-user',
      rules(
        rule('create').groups(authorizationGroup).resources('selfsubjectaccessreviews', 'selfsubjectrulesreviews'),
        rule('create').groups(authenticationGroup).resources('selfsubjectreviews'),
      ),
    ),
    // Information that is safe to show anyone, even unauthenticated.
    clusterRole('system:public-info-viewer', rules(rule('get').urls('/livez', '/readyz', '/healthz', '/version', '/version/'))),

    // The user-facing roles are aggregated: their rules are those of the roles labelled for them.
    clusterRole('admin', undefined, { aggregateFrom: [{ matchLabels: { [AGGREGATE_TO_ADMIN]: 'true' } }] }),
    clusterRole('edit', undefined, { labels: { [AGGREGATE_TO_ADMIN]: 'true' }, aggregateFrom: [{ matchLabels: { [AGGREGATE_TO_EDIT]: 'true' } }] }),
    clusterRole('view', undefined, { labels: { [AGGREGATE_TO_EDIT]: 'true' }, aggregateFrom: [{ matchLabels: { [AGGREGATE_TO_VIEW]: 'true' } }] }),
    // admin is edit plus granting permissions within the namespace.
    clusterRole(
      'system:aggregate-to-admin',
      rules(rule('create').groups(authorizationGroup).resources('localsubjectaccessreviews'), rule(...readWrite).groups(rbacGroup).resources('roles', 'rolebindings')),
      { labels: { [AGGREGATE_TO_ADMIN]: 'true' } },
    ),
    // edit is every user-level action in a namespace, but not the system's parts (status, quota, limits).
    clusterRole('system:aggregate-to-edit', aggregateToEditRules(), { labels: { [AGGREGATE_TO_EDIT]: 'true' } }),
    // view reads what does not let one escalate (so not secrets).
    clusterRole('system:aggregate-to-view', aggregateToViewRules(), { labels: { [AGGREGATE_TO_VIEW]: 'true' } }),

    clusterRole(
      'system:heapster',
      rules(rule(...read).groups(legacyGroup).resources('events', 'pods', 'nodes', 'namespaces'), rule(...read).groups(extensionsGroup).resources('deployments')),
    ),
    clusterRole('system:node', nodeRules()),
    // Not bound by default: where node-problem-detector runs varies.
    clusterRole(
      'system:node-problem-detector',
      rules(rule('get').groups(legacyGroup).resources('nodes'), rule('patch').groups(legacyGroup).resources('nodes/status'), eventsRule()),
    ),
    clusterRole('system:node-bootstrapper', rules(rule('create', 'get', 'list', 'watch').groups(certificatesGroup).resources('certificatesigningrequests'))),
    clusterRole(
      'system:auth-delegator',
      rules(rule('create').groups(authenticationGroup).resources('tokenreviews'), rule('create').groups(authorizationGroup).resources('subjectaccessreviews')),
    ),
    // The aggregator checks that the services its APIServices point at exist.
    clusterRole('system:kube-aggregator', rules(rule(...read).groups(legacyGroup).resources('services', 'endpoints'))),
    // Enough for the controller manager to start its informers and make the per-controller service accounts.
    clusterRole(
      'system:kube-controller-manager',
      rules(
        eventsRule(),
        rule('create').groups(coordinationGroup).resources('leases'),
        rule('get', 'update').groups(coordinationGroup).resources('leases').names('kube-controller-manager'),
        rule('create').groups(legacyGroup).resources('secrets', 'serviceaccounts'),
        rule('delete').groups(legacyGroup).resources('secrets'),
        rule('get').groups(legacyGroup).resources('namespaces', 'secrets', 'serviceaccounts', 'configmaps'),
        rule('update').groups(legacyGroup).resources('secrets', 'serviceaccounts'),
        rule('create').groups(authenticationGroup).resources('tokenreviews'),
        rule('create').groups(authorizationGroup).resources('subjectaccessreviews'),
        rule('list', 'watch').groups('*').resources('*'),
        rule('create').groups(legacyGroup).resources('serviceaccounts/token'),
      ),
    ),
    clusterRole('system:kube-dns', rules(rule('list', 'watch').groups(legacyGroup).resources('endpoints', 'services'))),
    // An out-of-tree provisioner; update on claims is for its lock annotations.
    clusterRole(
      'system:persistent-volume-provisioner',
      rules(
        rule('get', 'list', 'watch', 'create', 'delete').groups(legacyGroup).resources('persistentvolumes'),
        rule('get', 'list', 'watch', 'update').groups(legacyGroup).resources('persistentvolumeclaims'),
        rule(...read).groups(storageGroup).resources('storageclasses'),
        rule('watch').groups(legacyGroup).resources('events'),
        eventsRule(),
      ),
    ),
    // Let the CSR approver approve node client certificates (requested for, or by, the node).
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', rules(rule('create').groups(certificatesGroup).resources('certificatesigningrequests/nodeclient'))),
    clusterRole(
      'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
      rules(rule('create').groups(certificatesGroup).resources('certificatesigningrequests/selfnodeclient')),
    ),
    clusterRole(
      'system:volume-scheduler',
      rules(
        rule(...readUpdate).groups(legacyGroup).resources('persistentvolumes'),
        rule(...read).groups(storageGroup).resources('storageclasses'),
        rule(...readUpdate).groups(legacyGroup).resources('persistentvolumeclaims'),
      ),
    ),
    signerApprover('system:certificates.k8s.io:legacy-unknown-approver', legacyUnknownSigner),
    signerApprover('system:certificates.k8s.io:kubelet-serving-approver', kubeletServingSigner),
    signerApprover('system:certificates.k8s.io:kube-apiserver-client-approver', kubeAPIServerClientSigner),
    signerApprover('system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', kubeAPIServerClientKubeletSigner),
    // The OIDC discovery documents; the slash-ended forms serve clients generated from older OpenAPI.
    clusterRole(
      'system:service-account-issuer-discovery',
      rules(rule('get').urls('/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/')),
    ),
    // Full use of the kubelet's API.
    clusterRole(
      'system:kubelet-api-admin',
      rules(
        rule('get', 'list', 'watch').groups(legacyGroup).resources('nodes'),
        rule('proxy').groups(legacyGroup).resources('nodes'),
        rule('*').groups(legacyGroup).resources('nodes/proxy', 'nodes/metrics', 'nodes/stats', 'nodes/log'),
      ),
    ),
    // kube-proxy.
    clusterRole(
      'system:node-proxier',
      rules(
        rule('list', 'watch').groups(legacyGroup).resources('services', 'endpoints'),
        rule('get', 'list', 'watch').groups(legacyGroup).resources('nodes'),
        eventsRule(),
        rule('list', 'watch').groups(discoveryGroup).resources('endpointslices'),
      ),
    ),
    clusterRole('system:kube-scheduler', kubeSchedulerRules()),
  ];
}

function signerApprover(name: string, signer: string): ClusterRole {
  return clusterRole(name, rules(rule('approve').groups(certificatesGroup).resources('signers').names(signer)));
}

function aggregateToEditRules() {
  return rules(
    // Reading these can escalate (exec into a pod, read a token), so view does not have them.
    rule(...read).groups(legacyGroup).resources('pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy'),
    rule('impersonate').groups(legacyGroup).resources('serviceaccounts'),
    rule(...write).groups(legacyGroup).resources('pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward'),
    rule('create').groups(legacyGroup).resources('pods/eviction'),
    rule(...write)
      .groups(legacyGroup)
      .resources('replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/proxy', 'persistentvolumeclaims', 'configmaps', 'secrets', 'events'),
    rule('create').groups(legacyGroup).resources('serviceaccounts/token'),
    rule(...write)
      .groups(appsGroup)
      .resources('statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale'),
    rule(...write).groups(autoscalingGroup).resources('horizontalpodautoscalers'),
    rule(...write).groups(batchGroup).resources('jobs', 'cronjobs'),
    rule(...write)
      .groups(extensionsGroup)
      .resources('daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'ingresses', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale', 'networkpolicies'),
    rule(...write).groups(policyGroup).resources('poddisruptionbudgets'),
    rule(...write).groups(networkingGroup).resources('networkpolicies', 'ingresses'),
    rule(...readWrite).groups(coordinationGroup).resources('leases'),
  );
}

function aggregateToViewRules() {
  return rules(
    rule(...read)
      .groups(legacyGroup)
      .resources('pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps'),
    rule(...read)
      .groups(legacyGroup)
      .resources('limitranges', 'resourcequotas', 'bindings', 'events', 'pods/status', 'resourcequotas/status', 'namespaces/status', 'replicationcontrollers/status', 'pods/log'),
    // Reading namespaces through a RoleBinding reads only that namespace: a way to tell which ones you can use.
    rule(...read).groups(legacyGroup).resources('namespaces'),
    rule(...read).groups(discoveryGroup).resources('endpointslices'),
    rule(...read)
      .groups(appsGroup)
      .resources(
        'controllerrevisions',
        'statefulsets',
        'statefulsets/status',
        'statefulsets/scale',
        'daemonsets',
        'daemonsets/status',
        'deployments',
        'deployments/status',
        'deployments/scale',
        'replicasets',
        'replicasets/status',
        'replicasets/scale',
      ),
    rule(...read).groups(autoscalingGroup).resources('horizontalpodautoscalers', 'horizontalpodautoscalers/status'),
    rule(...read).groups(batchGroup).resources('jobs', 'cronjobs', 'cronjobs/status', 'jobs/status'),
    rule(...read)
      .groups(extensionsGroup)
      .resources(
        'daemonsets',
        'daemonsets/status',
        'deployments',
        'deployments/scale',
        'deployments/status',
        'ingresses',
        'ingresses/status',
        'replicasets',
        'replicasets/scale',
        'replicasets/status',
        'replicationcontrollers/scale',
        'networkpolicies',
      ),
    rule(...read).groups(policyGroup).resources('poddisruptionbudgets', 'poddisruptionbudgets/status'),
    rule(...read).groups(networkingGroup).resources('networkpolicies', 'ingresses', 'ingresses/status'),
  );
}

function kubeSchedulerRules() {
  return rules(
    eventsRule(),
    // Leader election.
    rule('create').groups(coordinationGroup).resources('leases'),
    rule('get', 'update', 'list', 'watch').groups(coordinationGroup).resources('leases').names('kube-scheduler'),
    rule(...readWrite).groups(coordinationGroup).resources('leasecandidates'),
    // Nodes and pods, binding and status.
    rule(...read).groups(legacyGroup).resources('nodes'),
    rule('get', 'list', 'watch', 'delete').groups(legacyGroup).resources('pods'),
    rule('create').groups(legacyGroup).resources('pods/binding', 'bindings'),
    rule('patch', 'update').groups(legacyGroup).resources('pods/status'),
    // What selects pods (spreading).
    rule(...read).groups(legacyGroup).resources('services', 'replicationcontrollers'),
    rule(...read).groups(appsGroup, extensionsGroup).resources('replicasets'),
    rule(...read).groups(appsGroup).resources('statefulsets'),
    // What applies to pods or what they use.
    rule(...read).groups(policyGroup).resources('poddisruptionbudgets'),
    rule(...read).groups(legacyGroup).resources('persistentvolumeclaims', 'persistentvolumes'),
    rule('create').groups(authenticationGroup).resources('tokenreviews'),
    rule('create').groups(authorizationGroup).resources('subjectaccessreviews'),
    // Volume limits.
    rule(...read).groups(storageGroup).resources('csinodes'),
    rule('get', 'list', 'watch').groups(storageGroup).resources('volumeattachments'),
    // namespaceSelector of pod affinity.
    rule(...read).groups(legacyGroup).resources('namespaces'),
    rule(...read).groups(storageGroup).resources('csidrivers'),
    rule(...read).groups(storageGroup).resources('csistoragecapacities'),
  );
}
