/**
 * The Container type and what hangs off it: ports, environment, mounts,
 * probes, lifecycle hooks, security context. Shared by containers,
 * initContainers and (with targetContainerName) ephemeralContainers.
 */
import { s, type Schema } from '../../../machinery/schema/index.js';
import {
  V1,
  atomicStrings,
  ConfigMapKeySelectorSchema,
  ObjectFieldSelectorSchema,
  ResourceFieldSelectorSchema,
  ResourceRequirementsSchema,
  SecretKeySelectorSchema,
} from './common.js';

export const ContainerPortSchema = s.object(`${V1}.ContainerPort`, 'A network port of a container.', {
  name: s.string('IANA service name of the port, unique in the pod.'),
  hostPort: s.int32('Port to open on the host, if any.'),
  containerPort: s.int32('Port number on the pod IP.'),
  // The default is in the schema too, as upstream's OpenAPI has it: server-side apply keys a port by it.
  protocol: { ...s.enumString(['SCTP', 'TCP', 'UDP'], 'UDP, TCP or SCTP; defaults to TCP.'), default: 'TCP' },
  hostIP: s.string('Host IP to bind the host port to.'),
}, { required: ['containerPort'] });

export const EnvVarSourceSchema = s.object(`${V1}.EnvVarSource`, 'Where an environment variable value comes from.', {
  fieldRef: s.field(ObjectFieldSelectorSchema, 'A field of the pod.'),
  resourceFieldRef: s.field(ResourceFieldSelectorSchema, 'A resource limit or request of the container.'),
  configMapKeyRef: s.field(ConfigMapKeySelectorSchema, 'A key of a config map.'),
  secretKeyRef: s.field(SecretKeySelectorSchema, 'A key of a secret.'),
});

export const EnvVarSchema = s.object(`${V1}.EnvVar`, 'An environment variable of a container.', {
  name: s.string('Variable name.'),
  value: s.string('Literal value; $(VAR) references are expanded.'),
  valueFrom: s.field(EnvVarSourceSchema, 'Source of the value when value is empty.'),
}, { required: ['name'] });

export const EnvFromSourceSchema = s.object(`${V1}.EnvFromSource`, 'A config map or secret whose keys all become variables.', {
  prefix: s.string('Prefix added to every variable name.'),
  configMapRef: s.object(`${V1}.ConfigMapEnvSource`, 'A config map to read.', {
    name: s.string('Name of the config map.'),
    optional: s.boolean('Whether the config map may be missing.'),
  }),
  secretRef: s.object(`${V1}.SecretEnvSource`, 'A secret to read.', {
    name: s.string('Name of the secret.'),
    optional: s.boolean('Whether the secret may be missing.'),
  }),
});

export const VolumeMountSchema = s.object(`${V1}.VolumeMount`, 'Mounts a pod volume into the container.', {
  name: s.string('Name of a pod volume.'),
  readOnly: s.boolean('Mount read-only.'),
  recursiveReadOnly: s.string('Disabled, IfPossible or Enabled: make submounts read-only too.'),
  mountPath: s.string('Path inside the container.'),
  subPath: s.string('Path inside the volume to mount instead of its root.'),
  mountPropagation: s.enumString(['Bidirectional', 'HostToContainer', 'None'], 'How mounts propagate between host and container.'),
  subPathExpr: s.string('Like subPath, with $(VAR) expansion.'),
}, { required: ['name', 'mountPath'] });

export const VolumeDeviceSchema = s.object(`${V1}.VolumeDevice`, 'Maps a raw block volume into the container.', {
  name: s.string('Name of a persistentVolumeClaim volume of the pod.'),
  devicePath: s.string('Device path inside the container.'),
}, { required: ['name', 'devicePath'] });

export const ExecActionSchema = s.object(`${V1}.ExecAction`, 'Runs a command in the container.', {
  command: atomicStrings('Command line; not run in a shell.'),
});

export const HTTPHeaderSchema = s.object(`${V1}.HTTPHeader`, 'A custom HTTP header.', {
  name: s.string('Header name.'),
  value: s.string('Header value.'),
}, { required: ['name', 'value'] });

export const HTTPGetActionSchema = s.object(`${V1}.HTTPGetAction`, 'An HTTP GET request.', {
  path: s.string('Path to request.'),
  port: s.intOrString('Port number or name.'),
  host: s.string('Host to connect to; defaults to the pod IP.'),
  scheme: s.enumString(['HTTP', 'HTTPS'], 'HTTP or HTTPS; defaults to HTTP.'),
  httpHeaders: s.array(HTTPHeaderSchema, 'Extra request headers.', { listType: 'atomic' }),
}, { required: ['port'] });

export const TCPSocketActionSchema = s.object(`${V1}.TCPSocketAction`, 'Opens a TCP connection.', {
  port: s.intOrString('Port number or name.'),
  host: s.string('Host to connect to; defaults to the pod IP.'),
}, { required: ['port'] });

export const GRPCActionSchema = s.object(`${V1}.GRPCAction`, 'A gRPC health check.', {
  port: s.int32('Port number of the gRPC service.'),
  service: s.string('Service name sent in the health check request.'),
}, { required: ['port'] });

export const SleepActionSchema = s.object(`${V1}.SleepAction`, 'Waits for some seconds.', {
  seconds: s.int64('Seconds to sleep.'),
}, { required: ['seconds'] });

export const ProbeSchema = s.object(`${V1}.Probe`, 'A periodic check of the container.', {
  exec: s.field(ExecActionSchema, 'Run a command.'),
  httpGet: s.field(HTTPGetActionSchema, 'Send an HTTP GET.'),
  tcpSocket: s.field(TCPSocketActionSchema, 'Open a TCP connection.'),
  grpc: s.field(GRPCActionSchema, 'Call the gRPC health service.'),
  initialDelaySeconds: s.int32('Seconds after start before the first probe.'),
  timeoutSeconds: s.int32('Seconds before a probe times out; defaults to 1.'),
  periodSeconds: s.int32('Seconds between probes; defaults to 10.'),
  successThreshold: s.int32('Consecutive successes to count as passing; defaults to 1.'),
  failureThreshold: s.int32('Consecutive failures to count as failing; defaults to 3.'),
  terminationGracePeriodSeconds: s.int64('Grace period used when this probe kills the container.'),
});

export const LifecycleHandlerSchema = s.object(`${V1}.LifecycleHandler`, 'An action run at a lifecycle event.', {
  exec: s.field(ExecActionSchema, 'Run a command.'),
  httpGet: s.field(HTTPGetActionSchema, 'Send an HTTP GET.'),
  tcpSocket: s.field(TCPSocketActionSchema, 'Deprecated; kept for compatibility.'),
  sleep: s.field(SleepActionSchema, 'Sleep.'),
});

export const LifecycleSchema = s.object(`${V1}.Lifecycle`, 'Hooks run after start and before stop.', {
  postStart: s.field(LifecycleHandlerSchema, 'Run right after the container starts.'),
  preStop: s.field(LifecycleHandlerSchema, 'Run before the container is stopped.'),
});

export const SELinuxOptionsSchema = s.object(`${V1}.SELinuxOptions`, 'SELinux labels.', {
  user: s.string('SELinux user.'),
  role: s.string('SELinux role.'),
  type: s.string('SELinux type.'),
  level: s.string('SELinux level.'),
});

export const WindowsSecurityContextOptionsSchema = s.object(`${V1}.WindowsSecurityContextOptions`, 'Windows-specific security settings.', {
  gmsaCredentialSpecName: s.string('Name of the GMSA credential spec.'),
  gmsaCredentialSpec: s.string('Inline GMSA credential spec.'),
  runAsUserName: s.string('Windows user name to run as.'),
  hostProcess: s.boolean('Run as a Windows host process.'),
});

export const SeccompProfileSchema = s.object(`${V1}.SeccompProfile`, 'A seccomp profile.', {
  type: s.enumString(['Localhost', 'RuntimeDefault', 'Unconfined'], 'Localhost, RuntimeDefault or Unconfined.'),
  localhostProfile: s.string('Profile file on the node, for Localhost.'),
}, { required: ['type'] });

export const AppArmorProfileSchema = s.object(`${V1}.AppArmorProfile`, 'An AppArmor profile.', {
  type: s.enumString(['Localhost', 'RuntimeDefault', 'Unconfined'], 'Localhost, RuntimeDefault or Unconfined.'),
  localhostProfile: s.string('Profile loaded on the node, for Localhost.'),
}, { required: ['type'] });

export const CapabilitiesSchema = s.object(`${V1}.Capabilities`, 'Linux capabilities to add and drop.', {
  add: atomicStrings('Capabilities to add.'),
  drop: atomicStrings('Capabilities to drop.'),
});

export const SecurityContextSchema = s.object(`${V1}.SecurityContext`, 'Security settings of one container.', {
  capabilities: s.field(CapabilitiesSchema, 'Capabilities to add and drop.'),
  privileged: s.boolean('Run privileged.'),
  seLinuxOptions: s.field(SELinuxOptionsSchema, 'SELinux context.'),
  windowsOptions: s.field(WindowsSecurityContextOptionsSchema, 'Windows settings.'),
  runAsUser: s.int64('UID to run as.'),
  runAsGroup: s.int64('GID to run as.'),
  runAsNonRoot: s.boolean('Refuse to start as UID 0.'),
  readOnlyRootFilesystem: s.boolean('Mount the root filesystem read-only.'),
  allowPrivilegeEscalation: s.boolean('Whether a process may gain more privileges than its parent.'),
  procMount: s.enumString(['Default', 'Unmasked'], 'Default or Unmasked.'),
  seccompProfile: s.field(SeccompProfileSchema, 'Seccomp profile.'),
  appArmorProfile: s.field(AppArmorProfileSchema, 'AppArmor profile.'),
});

export const ContainerResizePolicySchema = s.object(`${V1}.ContainerResizePolicy`, 'How a resource is resized in place.', {
  resourceName: s.string('cpu or memory.'),
  restartPolicy: s.string('NotRequired or RestartContainer.'),
}, { required: ['resourceName', 'restartPolicy'] });

/** The fields Container and EphemeralContainer have in common. */
function containerFields(): Record<string, Schema> {
  return {
    name: s.string('Container name, a DNS label unique in the pod.'),
    image: s.string('Container image reference.'),
    command: atomicStrings('Entrypoint; replaces the image ENTRYPOINT.'),
    args: atomicStrings('Arguments; replace the image CMD.'),
    workingDir: s.string('Working directory.'),
    ports: s.array(ContainerPortSchema, 'Ports the container exposes.', {
      listType: 'map', mapKeys: ['containerPort', 'protocol'], mergeKey: 'containerPort', patchStrategy: 'merge',
    }),
    envFrom: s.array(EnvFromSourceSchema, 'Sources of many environment variables.', { listType: 'atomic' }),
    env: s.array(EnvVarSchema, 'Environment variables.', {
      listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge',
    }),
    resources: s.field(ResourceRequirementsSchema, 'Compute resources.'),
    resizePolicy: s.array(ContainerResizePolicySchema, 'How resources are resized.', { listType: 'atomic' }),
    restartPolicy: s.string('Only Always, for init containers that keep running (sidecars).'),
    volumeMounts: s.array(VolumeMountSchema, 'Volumes mounted into the container.', {
      listType: 'map', mapKeys: ['mountPath'], mergeKey: 'mountPath', patchStrategy: 'merge',
    }),
    volumeDevices: s.array(VolumeDeviceSchema, 'Block devices of the container.', {
      listType: 'map', mapKeys: ['devicePath'], mergeKey: 'devicePath', patchStrategy: 'merge',
    }),
    livenessProbe: s.field(ProbeSchema, 'Restart the container when this fails.'),
    readinessProbe: s.field(ProbeSchema, 'Remove the pod from endpoints when this fails.'),
    startupProbe: s.field(ProbeSchema, 'Other probes wait until this succeeds.'),
    lifecycle: s.field(LifecycleSchema, 'Lifecycle hooks.'),
    terminationMessagePath: s.string('File the termination message is read from.'),
    terminationMessagePolicy: s.enumString(['FallbackToLogsOnError', 'File'], 'File or FallbackToLogsOnError.'),
    imagePullPolicy: s.enumString(['Always', 'IfNotPresent', 'Never'], 'Always, Never or IfNotPresent.'),
    securityContext: s.field(SecurityContextSchema, 'Security settings.'),
    stdin: s.boolean('Allocate a stdin buffer.'),
    stdinOnce: s.boolean('Close stdin after the first attach ends.'),
    tty: s.boolean('Allocate a TTY.'),
  };
}

export const ContainerSchema = s.object(`${V1}.Container`, 'A container of a pod.', containerFields(), { required: ['name'] });

export const EphemeralContainerSchema = s.object(
  `${V1}.EphemeralContainer`,
  'A container added to a running pod for debugging.',
  { ...containerFields(), targetContainerName: s.string('Container whose namespaces this one joins.') },
  { required: ['name'] },
);
