/** Node: spec, status and the kind. */
import { s, kindSchema } from '../../../machinery/schema/index.js';
import { V1, atomicStrings, resourceList } from './common.js';

export const TaintSchema = s.object(`${V1}.Taint`, 'Repels pods that do not tolerate it.', {
  key: s.string('Taint key.'),
  value: s.string('Taint value.'),
  effect: s.enumString(['NoExecute', 'NoSchedule', 'PreferNoSchedule'], 'NoSchedule, PreferNoSchedule or NoExecute.'),
  timeAdded: s.dateTime('When a NoExecute taint was added.'),
}, { required: ['key', 'effect'] });

const ConfigMapNodeConfigSourceSchema = s.object(`${V1}.ConfigMapNodeConfigSource`, 'A config map holding kubelet configuration.', {
  namespace: s.string('Namespace of the config map.'),
  name: s.string('Name of the config map.'),
  uid: s.string('UID of the config map.'),
  resourceVersion: s.string('Resource version of the config map.'),
  kubeletConfigKey: s.string('Key holding the KubeletConfiguration.'),
}, { required: ['namespace', 'name', 'kubeletConfigKey'] });

const NodeConfigSourceSchema = s.object(`${V1}.NodeConfigSource`, 'Deprecated dynamic kubelet configuration source.', {
  configMap: s.field(ConfigMapNodeConfigSourceSchema, 'Config map source.'),
});

export const NodeSpecSchema = s.object(`${V1}.NodeSpec`, 'Desired state of a node.', {
  podCIDR: s.string('Pod IP range of the node.'),
  podCIDRs: s.array(s.string(), 'Pod IP ranges, one per family.', { listType: 'set', patchStrategy: 'merge' }),
  providerID: s.string('ID of the node at the cloud provider.'),
  unschedulable: s.boolean('Keep new pods off the node.'),
  taints: s.array(TaintSchema, 'Taints of the node.', { listType: 'atomic' }),
  configSource: s.field(NodeConfigSourceSchema, 'Deprecated.'),
  externalID: s.string('Deprecated.'),
});

const NodeConditionSchema = s.object(`${V1}.NodeCondition`, 'A condition of a node.', {
  type: s.string('Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable, …'),
  status: s.string('True, False or Unknown.'),
  lastHeartbeatTime: s.dateTime('Last time the condition was reported.'),
  lastTransitionTime: s.dateTime('Last time the status changed.'),
  reason: s.string('Machine-readable reason.'),
  message: s.string('Human-readable details.'),
}, { required: ['type', 'status'] });

const NodeSystemInfoSchema = s.object(`${V1}.NodeSystemInfo`, 'Identity and versions of a node.', {
  machineID: s.string('Machine ID.'),
  systemUUID: s.string('System UUID.'),
  bootID: s.string('Boot ID.'),
  kernelVersion: s.string('Kernel version.'),
  osImage: s.string('OS image.'),
  containerRuntimeVersion: s.string('Container runtime and version.'),
  kubeletVersion: s.string('Kubelet version.'),
  kubeProxyVersion: s.string('Deprecated kube-proxy version.'),
  operatingSystem: s.string('Operating system.'),
  architecture: s.string('CPU architecture.'),
}, { required: ['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture'] });

const NodeConfigStatusSchema = s.object(`${V1}.NodeConfigStatus`, 'Deprecated dynamic configuration state.', {
  assigned: s.field(NodeConfigSourceSchema, 'Assigned source.'),
  active: s.field(NodeConfigSourceSchema, 'Active source.'),
  lastKnownGood: s.field(NodeConfigSourceSchema, 'Last known good source.'),
  error: s.string('Problem applying the configuration.'),
});

export const NodeStatusSchema = s.object(`${V1}.NodeStatus`, 'Observed state of a node.', {
  capacity: resourceList('Total resources of the node.'),
  allocatable: resourceList('Resources available to pods.'),
  phase: s.string('Deprecated.'),
  conditions: s.array(NodeConditionSchema, 'Current conditions.', {
    listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge',
  }),
  addresses: s.array(s.object(`${V1}.NodeAddress`, 'An address of the node.', {
    type: s.string('Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.'),
    address: s.string('The address.'),
  }, { required: ['type', 'address'] }), 'Addresses of the node.', {
    listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge',
  }),
  daemonEndpoints: s.object(`${V1}.NodeDaemonEndpoints`, 'Ports of daemons on the node.', {
    kubeletEndpoint: s.object(`${V1}.DaemonEndpoint`, 'The kubelet endpoint.', {
      Port: s.int32('Port number.'),
    }, { required: ['Port'] }),
  }),
  nodeInfo: s.field(NodeSystemInfoSchema, 'Identity and versions.'),
  images: s.array(s.object(`${V1}.ContainerImage`, 'An image on the node.', {
    names: atomicStrings('Names of the image.'),
    sizeBytes: s.int64('Size in bytes.'),
  }), 'Images on the node.', { listType: 'atomic' }),
  volumesInUse: atomicStrings('Volumes in use on the node.'),
  volumesAttached: s.array(s.object(`${V1}.AttachedVolume`, 'A volume attached to the node.', {
    name: s.string('Volume name.'),
    devicePath: s.string('Device path.'),
  }, { required: ['name', 'devicePath'] }), 'Volumes attached to the node.', { listType: 'atomic' }),
  config: s.field(NodeConfigStatusSchema, 'Deprecated.'),
  runtimeHandlers: s.array(s.object(`${V1}.NodeRuntimeHandler`, 'A runtime handler of the node.', {
    name: s.string('Handler name; empty for the default.'),
    features: s.object(`${V1}.NodeRuntimeHandlerFeatures`, 'Features of the handler.', {
      recursiveReadOnlyMounts: s.boolean('Supports recursive read-only mounts.'),
      userNamespaces: s.boolean('Supports user namespaces.'),
    }),
  }), 'Runtime handlers.', { listType: 'atomic' }),
  features: s.object(`${V1}.NodeFeatures`, 'Features the node supports.', {
    supplementalGroupsPolicy: s.boolean('Supports supplementalGroupsPolicy.'),
  }),
});

export const NodeSchema = kindSchema({
  group: '', version: 'v1', kind: 'Node',
  definitionName: `${V1}.Node`,
  description: 'A machine pods run on.',
  fields: {
    spec: s.field(NodeSpecSchema, 'Desired state.'),
    status: s.field(NodeStatusSchema, 'Observed state.'),
  },
});
