/** PodSpec, PodStatus, PodTemplateSpec and the Pod and PodTemplate kinds. */
import { s, kindSchema, ObjectMetaSchema } from '../../../machinery/schema/index.js';
import { V1, atomicStrings, resourceList, LocalObjectReferenceSchema, ResourceRequirementsSchema } from './common.js';
import { ContainerSchema, EphemeralContainerSchema, SELinuxOptionsSchema, SeccompProfileSchema, AppArmorProfileSchema, WindowsSecurityContextOptionsSchema } from './container.js';
import { VolumeSchema } from './volume.js';
import { AffinitySchema, TolerationSchema, TopologySpreadConstraintSchema } from './scheduling.js';
import { PodStatusSchema } from './pod-status.js';

export const PodSecurityContextSchema = s.object(`${V1}.PodSecurityContext`, 'Security settings for every container of the pod.', {
  seLinuxOptions: s.field(SELinuxOptionsSchema, 'SELinux context.'),
  windowsOptions: s.field(WindowsSecurityContextOptionsSchema, 'Windows settings.'),
  runAsUser: s.int64('UID to run as.'),
  runAsGroup: s.int64('GID to run as.'),
  runAsNonRoot: s.boolean('Refuse to start containers as UID 0.'),
  supplementalGroups: s.array(s.int64(), 'Extra GIDs for the first process.', { listType: 'atomic' }),
  supplementalGroupsPolicy: s.enumString(['Merge', 'Strict'], 'Merge or Strict.'),
  fsGroup: s.int64('GID owning the volumes.'),
  sysctls: s.array(s.object(`${V1}.Sysctl`, 'A kernel parameter.', {
    name: s.string('Parameter name.'), value: s.string('Parameter value.'),
  }, { required: ['name', 'value'] }), 'Namespaced sysctls.', { listType: 'atomic' }),
  fsGroupChangePolicy: s.enumString(['Always', 'OnRootMismatch'], 'OnRootMismatch or Always.'),
  seccompProfile: s.field(SeccompProfileSchema, 'Seccomp profile.'),
  appArmorProfile: s.field(AppArmorProfileSchema, 'AppArmor profile.'),
  seLinuxChangePolicy: s.string('MountOption or Recursive.'),
});

export const HostAliasSchema = s.object(`${V1}.HostAlias`, 'An /etc/hosts entry.', {
  ip: s.string('IP address.'),
  hostnames: atomicStrings('Host names for the IP.'),
}, { required: ['ip'] });

export const PodDNSConfigSchema = s.object(`${V1}.PodDNSConfig`, 'DNS settings merged with those from dnsPolicy.', {
  nameservers: atomicStrings('Name server IPs.'),
  searches: atomicStrings('Search domains.'),
  options: s.array(s.object(`${V1}.PodDNSConfigOption`, 'A resolver option.', {
    name: s.string('Option name.'), value: s.string('Option value.'),
  }), 'Resolver options.', { listType: 'atomic' }),
});

export const PodResourceClaimSchema = s.object(`${V1}.PodResourceClaim`, 'A resource claim the pod uses.', {
  name: s.string('Name of the claim inside the pod.'),
  resourceClaimName: s.string('An existing ResourceClaim.'),
  resourceClaimTemplateName: s.string('A ResourceClaimTemplate to create a claim from.'),
}, { required: ['name'] });

export const PodSpecSchema = s.object(`${V1}.PodSpec`, 'The desired state of a pod.', {
  volumes: s.array(VolumeSchema, 'Volumes the containers can mount.', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge,retainKeys',
  }),
  initContainers: s.array(ContainerSchema, 'Containers run in order before the others.', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge',
  }),
  containers: s.array(ContainerSchema, 'The containers of the pod; at least one.', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge',
  }),
  ephemeralContainers: s.array(EphemeralContainerSchema, 'Debug containers added to the running pod.', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge',
  }),
  restartPolicy: s.enumString(['Always', 'Never', 'OnFailure'], 'Always, OnFailure or Never; defaults to Always.'),
  terminationGracePeriodSeconds: s.int64('Seconds allowed to stop gracefully; defaults to 30.'),
  activeDeadlineSeconds: s.int64('Seconds the pod may be active before it is failed.'),
  dnsPolicy: s.enumString(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'], 'DNS policy; defaults to ClusterFirst.'),
  nodeSelector: { ...s.map(s.string(), 'Labels the node must have.'), 'x-kubernetes-map-type': 'atomic' },
  serviceAccountName: s.string('Service account the pod runs as.'),
  serviceAccount: s.string('Deprecated alias of serviceAccountName.'),
  automountServiceAccountToken: s.boolean('Whether the API token is mounted.'),
  nodeName: s.string('Node the pod is bound to.'),
  hostNetwork: s.boolean('Use the host network namespace.'),
  hostPID: s.boolean('Use the host PID namespace.'),
  hostIPC: s.boolean('Use the host IPC namespace.'),
  shareProcessNamespace: s.boolean('Share one PID namespace between the containers.'),
  securityContext: s.field(PodSecurityContextSchema, 'Pod-wide security settings.'),
  imagePullSecrets: s.array(LocalObjectReferenceSchema, 'Secrets used to pull images.', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge',
  }),
  hostname: s.string('Host name of the pod; defaults to its name.'),
  subdomain: s.string('Subdomain for a FQDN <hostname>.<subdomain>.<ns>.svc.'),
  affinity: s.field(AffinitySchema, 'Scheduling constraints.'),
  schedulerName: s.string('Scheduler that places the pod; defaults to default-scheduler.'),
  tolerations: s.array(TolerationSchema, 'Taints the pod tolerates.', { listType: 'atomic' }),
  hostAliases: s.array(HostAliasSchema, 'Extra /etc/hosts entries.', {
    listType: 'map', mapKeys: ['ip'], mergeKey: 'ip', patchStrategy: 'merge',
  }),
  priorityClassName: s.string('Priority class of the pod.'),
  priority: s.int32('Priority value, filled from the priority class.'),
  dnsConfig: s.field(PodDNSConfigSchema, 'Extra DNS settings.'),
  readinessGates: s.array(s.object(`${V1}.PodReadinessGate`, 'A condition the pod needs to be ready.', {
    conditionType: s.string('Condition type in the pod conditions.'),
  }, { required: ['conditionType'] }), 'Extra conditions for readiness.', { listType: 'atomic' }),
  runtimeClassName: s.string('RuntimeClass to run the pod with.'),
  enableServiceLinks: s.boolean('Inject service environment variables; defaults to true.'),
  preemptionPolicy: s.enumString(['Never', 'PreemptLowerPriority'], 'PreemptLowerPriority or Never.'),
  overhead: resourceList('Resources the pod sandbox uses on top of its containers.'),
  topologySpreadConstraints: s.array(TopologySpreadConstraintSchema, 'How to spread pods over domains.', {
    listType: 'map', mapKeys: ['topologyKey', 'whenUnsatisfiable'], mergeKey: 'topologyKey', patchStrategy: 'merge',
  }),
  setHostnameAsFQDN: s.boolean('Set the hostname to the FQDN.'),
  os: s.object(`${V1}.PodOS`, 'Operating system of the pod.', {
    name: s.string('linux or windows.'),
  }, { required: ['name'] }),
  hostUsers: s.boolean('Use the host user namespace; defaults to true.'),
  schedulingGates: s.array(s.object(`${V1}.PodSchedulingGate`, 'A gate that holds back scheduling.', {
    name: s.string('Gate name.'),
  }, { required: ['name'] }), 'Gates to be removed before scheduling.', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge',
  }),
  resourceClaims: s.array(PodResourceClaimSchema, 'Dynamic resources the pod uses.', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge,retainKeys',
  }),
  resources: s.field(ResourceRequirementsSchema, 'Pod-level resources (alpha).'),
}, { required: ['containers'] });

export const PodTemplateSpecSchema = s.object(`${V1}.PodTemplateSpec`, 'Pods created from a template.', {
  metadata: s.field(ObjectMetaSchema, 'Metadata of the pods.'),
  spec: s.field(PodSpecSchema, 'Spec of the pods.'),
});

export const PodSchema = kindSchema({
  group: '', version: 'v1', kind: 'Pod',
  definitionName: `${V1}.Pod`,
  description: 'A group of containers run together on a node.',
  fields: {
    spec: s.field(PodSpecSchema, 'Desired state.'),
    status: s.field(PodStatusSchema, 'Observed state.'),
  },
});

export const PodTemplateSchema = kindSchema({
  group: '', version: 'v1', kind: 'PodTemplate',
  definitionName: `${V1}.PodTemplate`,
  description: 'A stored template for pods.',
  fields: { template: s.field(PodTemplateSpecSchema, 'The template.') },
});
