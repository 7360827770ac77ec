/** The parts of a Pod the node agent reads. */
import type { SecurityProfile } from './runtime/runtime.js';
import type { KubeObject } from '../machinery/object.js';
import type { Probe } from './probes.js';
import type { LifecycleHandler } from './hooks.js';

export interface AgentContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  workingDir?: string;
  restartPolicy?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { postStart?: LifecycleHandler; preStop?: LifecycleHandler };
  /** Ephemeral containers only: the container whose PID namespace this one joins. */
  targetContainerName?: string;
  imagePullPolicy?: string;
  securityContext?: ContainerSecurityContext;
}

/** A container's securityContext (the pod's has the identity part of it, and fsGroup). */
export interface ContainerSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  procMount?: string;
  seccompProfile?: SecurityProfile;
  appArmorProfile?: SecurityProfile;
  seLinuxOptions?: SELinuxOptions;
}

/** SELinux labels (user, role, type, level), passed to the runtime as given. */
export interface SELinuxOptions {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
  fsGroup?: number;
  sysctls?: { name: string; value: string }[];
  seccompProfile?: SecurityProfile;
  appArmorProfile?: SecurityProfile;
  seLinuxOptions?: SELinuxOptions;
}

export interface AgentPod extends KubeObject {
  spec?: {
    nodeName?: string;
    restartPolicy?: string;
    containers?: AgentContainer[];
    initContainers?: AgentContainer[];
    /** Added to the running pod through pods/ephemeralcontainers (kubectl debug); started once, never restarted. */
    ephemeralContainers?: AgentContainer[];
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    shareProcessNamespace?: boolean;
    hostname?: string;
    terminationGracePeriodSeconds?: number;
    runtimeClassName?: string;
    imagePullSecrets?: { name?: string }[];
    securityContext?: PodSecurityContext;
  };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string }[];
  } & Record<string, unknown>;
}
