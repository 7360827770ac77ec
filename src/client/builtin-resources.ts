/**
 * References to the built-in resources skiff's own components read and
 * write — one place for controllers, the scheduler and the node agent.
 */
import type { ResourceRef } from './resource-client.js';

const ref = (group: string, version: string, resource: string, kind: string, namespaced = true): ResourceRef => ({ group, version, resource, kind, namespaced });

export const replicaSetsResource = ref('apps', 'v1', 'replicasets', 'ReplicaSet');
export const deploymentsResource = ref('apps', 'v1', 'deployments', 'Deployment');
export const statefulSetsResource = ref('apps', 'v1', 'statefulsets', 'StatefulSet');
export const daemonSetsResource = ref('apps', 'v1', 'daemonsets', 'DaemonSet');
export const controllerRevisionsResource = ref('apps', 'v1', 'controllerrevisions', 'ControllerRevision');
export const jobsResource = ref('batch', 'v1', 'jobs', 'Job');
export const podsResource = ref('', 'v1', 'pods', 'Pod');
export const secretsResource = ref('', 'v1', 'secrets', 'Secret');
export const persistentVolumesResource = ref('', 'v1', 'persistentvolumes', 'PersistentVolume', false);
export const storageClassesResource = ref('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false);
export const cronJobsResource = ref('batch', 'v1', 'cronjobs', 'CronJob');
export const namespacesResource = ref('', 'v1', 'namespaces', 'Namespace', false);
export const serviceAccountsResource = ref('', 'v1', 'serviceaccounts', 'ServiceAccount');
export const configMapsResource = ref('', 'v1', 'configmaps', 'ConfigMap');
export const nodesResource = ref('', 'v1', 'nodes', 'Node', false);
export const servicesResource = ref('', 'v1', 'services', 'Service');
export const endpointsResource = ref('', 'v1', 'endpoints', 'Endpoints');
export const endpointSlicesResource = ref('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice');
export const persistentVolumeClaimsResource = ref('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim');
export const resourceQuotasResource = ref('', 'v1', 'resourcequotas', 'ResourceQuota');
export const leasesResource = ref('coordination.k8s.io', 'v1', 'leases', 'Lease');
export const podDisruptionBudgetsResource = ref('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget');
export const priorityClassesResource = ref('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false);
export const runtimeClassesResource = ref('node.k8s.io', 'v1', 'runtimeclasses', 'RuntimeClass', false);
export const ingressesResource = ref('networking.k8s.io', 'v1', 'ingresses', 'Ingress');
export const ingressClassesResource = ref('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false);
export const networkPoliciesResource = ref('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy');
export const certificateSigningRequestsResource = ref('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', false);
export const customResourceDefinitionsResource = ref('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false);
export const clusterRolesResource = ref('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false);
export const validatingAdmissionPoliciesResource = ref('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies', 'ValidatingAdmissionPolicy', false);
