/**
 * A small registry for the discovery and OpenAPI tests: Deployment-, Pod-,
 * ConfigMap-, Namespace- and ServiceAccount-like kinds with upstream's names,
 * scopes and subresources, so tests do not depend on the real API groups.
 */
import { Registry } from '../../api/registry.js';
import type { ResourceType } from '../../api/resource.js';
import { s } from '../../machinery/schema/build.js';
import { kindSchema, LabelSelectorSchema, ObjectMetaSchema } from '../../machinery/schema/meta.js';

const CORE = 'io.k8s.api.core.v1';

const ContainerPort = s.object(`${CORE}.ContainerPort`, 'A network port in a single container.', {
  containerPort: s.int32('Number of the port on the pod IP.'),
  protocol: s.enumString(['SCTP', 'TCP', 'UDP'], 'Protocol for the port. Defaults to TCP.'),
}, { required: ['containerPort'] });

const Container = s.object(`${CORE}.Container`, 'A single application container of a pod.', {
  name: s.string('Name of the container, unique within the pod.'),
  image: s.string('Container image name.'),
  ports: s.array(ContainerPort, 'Ports to expose from the container.', { listType: 'map', mapKeys: ['containerPort', 'protocol'], mergeKey: 'containerPort', patchStrategy: 'merge' }),
  resources: s.object(`${CORE}.ResourceRequirements`, 'Compute resources required by this container.', {
    limits: s.map(s.quantity(), 'Maximum amount of compute resources allowed.'),
    requests: s.map(s.quantity(), 'Minimum amount of compute resources required.'),
  }),
}, { required: ['name'] });

export const PodSpec = s.object(`${CORE}.PodSpec`, 'The specification of a pod.', {
  containers: s.array(Container, 'Containers of the pod.', { listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge' }),
  nodeName: s.string('The node the pod is bound to.'),
}, { required: ['containers'] });

const PodTemplateSpec = s.object(`${CORE}.PodTemplateSpec`, 'Describes the pods created from a template.', {
  metadata: s.field(ObjectMetaSchema, 'Standard object metadata.'),
  spec: s.field(PodSpec, 'Specification of the desired behavior of the pod.'),
});

function type(partial: Omit<ResourceType, 'verbs'> & { verbs?: ResourceType['verbs'] }): ResourceType {
  return partial;
}

export const deployments = type({
  group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', singular: 'deployment',
  shortNames: ['deploy'], categories: ['all'], namespaced: true,
  subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
  schema: kindSchema({
    group: 'apps', version: 'v1', kind: 'Deployment', definitionName: 'io.k8s.api.apps.v1.Deployment',
    description: 'Deployment enables declarative updates for Pods and ReplicaSets.',
    fields: {
      spec: s.field(s.object('io.k8s.api.apps.v1.DeploymentSpec', 'The specification of a Deployment.', {
        replicas: s.int32('Number of desired pods. Defaults to 1.'),
        selector: s.field(LabelSelectorSchema, 'Label selector for pods.'),
        template: s.field(PodTemplateSpec, 'Template describes the pods that will be created.'),
        progressDeadlineSeconds: s.int32('Seconds before a stalled rollout is reported.'),
        strategy: s.object('io.k8s.api.apps.v1.DeploymentStrategy', 'How to replace existing pods.', {
          type: s.enumString(['Recreate', 'RollingUpdate'], 'Type of deployment.'),
          rollingUpdate: s.object('io.k8s.api.apps.v1.RollingUpdateDeployment', 'Rolling update parameters.', {
            maxSurge: s.intOrString('Pods that can be scheduled above the desired number.'),
            maxUnavailable: s.intOrString('Pods that can be unavailable during the update.'),
          }),
        }, { patchStrategy: 'retainKeys' }),
      }, { required: ['selector', 'template'] }), 'Specification of the desired behavior of the Deployment.'),
      status: s.field(s.object('io.k8s.api.apps.v1.DeploymentStatus', 'The most recently observed status of the Deployment.', {
        replicas: s.int32('Total number of non-terminated pods.'),
        observedGeneration: s.int64('The generation observed by the controller.'),
      }), 'Most recently observed status of the Deployment.'),
    },
  }),
});

export const pods = type({
  group: '', version: 'v1', kind: 'Pod', resource: 'pods', singular: 'pod', shortNames: ['po'], categories: ['all'], namespaced: true,
  subresources: { status: true, others: ['binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'proxy', 'ephemeralcontainers'] },
  schema: kindSchema({
    group: '', version: 'v1', kind: 'Pod', definitionName: `${CORE}.Pod`,
    description: 'Pod is a collection of containers that can run on a host.',
    fields: {
      spec: s.field(PodSpec, 'Specification of the desired behavior of the pod.'),
      status: s.object(`${CORE}.PodStatus`, 'Observed state of a pod.', { phase: s.string('Current phase of the pod.'), startTime: s.dateTime('When the pod was acknowledged by the node.') }),
    },
  }),
});

export const configmaps = type({
  group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', singular: 'configmap', shortNames: ['cm'], namespaced: true,
  schema: kindSchema({
    group: '', version: 'v1', kind: 'ConfigMap', definitionName: `${CORE}.ConfigMap`,
    description: 'ConfigMap holds configuration data for pods to consume.',
    fields: {
      data: s.map(s.string(), 'Configuration data as UTF-8 strings.'),
      binaryData: s.map(s.bytes(), 'Binary configuration data.'),
      immutable: s.boolean('If true, the data cannot be changed.'),
    },
  }),
});

export const namespaces = type({
  group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', singular: 'namespace', shortNames: ['ns'], namespaced: false,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: { status: true, others: ['finalize'] },
  schema: kindSchema({
    group: '', version: 'v1', kind: 'Namespace', definitionName: `${CORE}.Namespace`,
    description: 'Namespace provides a scope for names.',
    fields: { spec: s.object(`${CORE}.NamespaceSpec`, 'Attributes of a namespace.', { finalizers: s.array(s.string(), 'Finalizers to clear before removal.', { listType: 'atomic' }) }) },
  }),
});

export const serviceaccounts = type({
  group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', singular: 'serviceaccount', shortNames: ['sa'], namespaced: true,
  subresources: { others: ['token'] },
  schema: kindSchema({
    group: '', version: 'v1', kind: 'ServiceAccount', definitionName: `${CORE}.ServiceAccount`,
    description: 'ServiceAccount binds together a name, secrets and tokens.',
    fields: { automountServiceAccountToken: s.boolean('Whether pods mount a token automatically.') },
  }),
});

export function testRegistry(): Registry {
  const registry = new Registry();
  for (const t of [pods, configmaps, namespaces, serviceaccounts, deployments]) registry.add(t);
  return registry;
}
