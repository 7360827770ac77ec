/** PodStatus and the container statuses it holds. */
import { s } from '../../../machinery/schema/index.js';
import { V1, resourceList, ResourceRequirementsSchema } from './common.js';

export const ContainerStateSchema = s.object(`${V1}.ContainerState`, 'One of waiting, running or terminated.', {
  waiting: s.object(`${V1}.ContainerStateWaiting`, 'Not running yet.', {
    reason: s.string('Why the container is waiting, e.g. ContainerCreating.'),
    message: s.string('Details.'),
  }),
  running: s.object(`${V1}.ContainerStateRunning`, 'Running.', {
    startedAt: s.dateTime('When the container last started.'),
  }),
  terminated: s.object(`${V1}.ContainerStateTerminated`, 'Exited.', {
    exitCode: s.int32('Exit status.'),
    signal: s.int32('Signal that ended the container.'),
    reason: s.string('Why it exited, e.g. Completed, Error, OOMKilled.'),
    message: s.string('Details.'),
    startedAt: s.dateTime('When it started.'),
    finishedAt: s.dateTime('When it exited.'),
    containerID: s.string('Runtime ID of the container.'),
  }, { required: ['exitCode'] }),
});

export const ContainerStatusSchema = s.object(`${V1}.ContainerStatus`, 'Observed state of one container.', {
  name: s.string('Container name.'),
  state: s.field(ContainerStateSchema, 'Current state.'),
  lastState: s.field(ContainerStateSchema, 'State of the previous run.'),
  ready: s.boolean('Passed its readiness probe.'),
  restartCount: s.int32('How often the container restarted.'),
  image: s.string('Image the container runs.'),
  imageID: s.string('Image ID the container runs.'),
  containerID: s.string('Runtime ID, <type>://<id>.'),
  started: s.boolean('Passed its startup probe.'),
  allocatedResources: resourceList('Resources allocated to the container.'),
  resources: s.field(ResourceRequirementsSchema, 'Resources applied by the runtime.'),
  volumeMounts: s.array(s.object(`${V1}.VolumeMountStatus`, 'State of a mount.', {
    name: s.string('Volume name.'),
    mountPath: s.string('Path inside the container.'),
    readOnly: s.boolean('Mounted read-only.'),
    recursiveReadOnly: s.string('Disabled or Enabled.'),
  }, { required: ['name', 'mountPath'] }), 'State of the mounts.', {
    listType: 'map', mapKeys: ['mountPath'], mergeKey: 'mountPath', patchStrategy: 'merge',
  }),
  user: s.object(`${V1}.ContainerUser`, 'Identity the first process runs with.', {
    linux: s.object(`${V1}.LinuxContainerUser`, 'Linux identity.', {
      uid: s.int64('UID.'),
      gid: s.int64('GID.'),
      supplementalGroups: s.array(s.int64(), 'Extra GIDs.', { listType: 'atomic' }),
    }, { required: ['uid', 'gid'] }),
  }),
  allocatedResourcesStatus: s.array(s.object(`${V1}.ResourceStatus`, 'Health of resources of one kind.', {
    name: s.string('Resource name.'),
    resources: s.array(s.object(`${V1}.ResourceHealth`, 'Health of one device.', {
      resourceID: s.string('Device ID.'),
      health: s.string('Healthy, Unhealthy or Unknown.'),
    }, { required: ['resourceID'] }), 'Per device.', { listType: 'map', mapKeys: ['resourceID'] }),
  }, { required: ['name'] }), 'Health of allocated resources.', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge',
  }),
}, { required: ['name', 'ready', 'restartCount', 'image', 'imageID'] });

export const PodConditionSchema = s.object(`${V1}.PodCondition`, 'A condition of a pod.', {
  type: s.string('PodScheduled, Initialized, ContainersReady, Ready, …'),
  status: s.string('True, False or Unknown.'),
  lastProbeTime: s.dateTime('Last time the condition was probed.'),
  lastTransitionTime: s.dateTime('Last time the status changed.'),
  reason: s.string('Machine-readable reason.'),
  message: s.string('Human-readable details.'),
}, { required: ['type', 'status'] });

const ip = (name: string) => s.object(`${V1}.${name}`, 'An IP address.', { ip: s.string('The address.') }, { required: ['ip'] });

export const PodStatusSchema = s.object(`${V1}.PodStatus`, 'Observed state of a pod.', {
  phase: s.enumString(['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown'], 'Pending, Running, Succeeded, Failed or Unknown.'),
  conditions: s.array(PodConditionSchema, 'Current conditions.', {
    listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge',
  }),
  message: s.string('Why the pod is in this state.'),
  reason: s.string('Short reason, e.g. Evicted.'),
  nominatedNodeName: s.string('Node the pod may run on once preemption finishes.'),
  hostIP: s.string('IP of the node.'),
  hostIPs: s.array(ip('HostIP'), 'IPs of the node.', { listType: 'atomic', mergeKey: 'ip', patchStrategy: 'merge' }),
  podIP: s.string('IP of the pod.'),
  podIPs: s.array(ip('PodIP'), 'IPs of the pod, one per family.', {
    listType: 'map', mapKeys: ['ip'], mergeKey: 'ip', patchStrategy: 'merge',
  }),
  startTime: s.dateTime('When the node accepted the pod.'),
  initContainerStatuses: s.array(ContainerStatusSchema, 'Init container states.', { listType: 'atomic' }),
  containerStatuses: s.array(ContainerStatusSchema, 'Container states.', { listType: 'atomic' }),
  qosClass: s.enumString(['BestEffort', 'Burstable', 'Guaranteed'], 'Guaranteed, Burstable or BestEffort.'),
  ephemeralContainerStatuses: s.array(ContainerStatusSchema, 'Ephemeral container states.', { listType: 'atomic' }),
  resize: s.string('State of an in-place resize.'),
  resourceClaimStatuses: s.array(s.object(`${V1}.PodResourceClaimStatus`, 'The claim created for a pod resource claim.', {
    name: s.string('Entry in spec.resourceClaims.'),
    resourceClaimName: s.string('Name of the generated claim.'),
  }, { required: ['name'] }), 'Generated claims.', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge,retainKeys',
  }),
});
