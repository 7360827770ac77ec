/**
 * skiff's sandbox and container configs (runtime.ts) turned into the CRI's,
 * as the kubelet fills them (kuberuntime_sandbox.go, kuberuntime_container_linux.go,
 * security_context.go, helpers.go, util/util.go, labels.go in kubelet v1.32;
 * pkg/security/apparmor for AppArmor), and the CRI's statuses
 * turned back. Pure functions: cri-runtime.ts does the calls.
 */
import { podCgroupParent } from './pod-cgroups.js';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, dirname, isAbsolute, sep } from 'node:path';
import type { ContainerConfig, ContainerState, ContainerStatus, PodSandbox, PodSandboxConfig, SecurityProfile } from '../runtime.js';
import { defaultReadOnlyPaths } from '../process/security.js';
import type {
  CriContainerConfig,
  CriContainerState,
  CriContainerStatus,
  CriPodSandboxConfig,
  CriSecurityProfile,
  LinuxContainerSecurityContext,
  NamespaceMode,
  NamespaceOption,
  PodSandboxStatus,
} from './cri-types.js';

/** The labels the kubelet puts on sandboxes and containers (k8s.io/kubelet/pkg/types/labels.go). */
export const kubernetesLabels = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;

/** The kubelet's container annotation for the attempt (labels.go). */
export const restartCountAnnotation = 'io.kubernetes.container.restartCount';

/** Marks what one skiff node made, so a containerd shared with others (another node, a kubelet) is left alone. */
export const nodeLabel = 'skiff.dev/node';

/**
 * The sandbox's skiff config, kept with the sandbox: CreateContainer needs
 * the sandbox's CRI config again (its hostname, namespaces, log directory),
 * and after an agent restart this is where it comes from.
 */
export const sandboxConfigAnnotation = 'skiff.dev/pod-sandbox-config';

/** What the container needs at attach time that the CRI's status does not say. */
export const stdioAnnotation = 'skiff.dev/stdio';

/** How a container's seccomp profile is chosen where the pod names none, and where Localhost profiles are. */
export interface SeccompOptions {
  /**
   * The directory Localhost seccomp profiles are relative to: the kubelet's
   * `<root-dir>/seccomp`. Without it a Localhost profile cannot be found,
   * and the container is not made.
   */
  seccompProfileRoot?: string;
  /** The kubelet's --seccomp-default: RuntimeDefault, not Unconfined, when the pod names no profile (default false, as upstream). */
  seccompDefault?: boolean;
}

/** The kubelet's pod log directory: `<podLogsDir>/<namespace>_<name>_<uid>` (container-logs.ts). */
export function podLogDirectoryOf(podLogsDir: string, pod: { namespace: string; name: string; uid: string }): string {
  return join(podLogsDir, `${pod.namespace}_${pod.name}_${pod.uid}`);
}

/**
 * The pod's namespaces, the same for its sandbox and each of its containers
 * (the kubelet's NamespacesForPod): the node's network, PID and IPC when
 * the pod asks for them; one PID namespace for the whole pod with
 * shareProcessNamespace; otherwise each container its own PIDs.
 */
export function podNamespaceOptions(config: PodSandboxConfig): { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode } {
  return {
    network: config.hostNetwork ? 'NODE' : 'POD',
    pid: config.hostPID ? 'NODE' : config.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: config.hostIPC ? 'NODE' : 'POD',
  };
}

export function criSandboxConfig(config: PodSandboxConfig, attempt: number, options: { podLogsDir?: string; node?: string; podCgroups?: boolean }): CriPodSandboxConfig {
  return {
    metadata: { name: config.name, uid: config.uid, namespace: config.namespace, attempt },
    // On the node's network the pod has the node's name (the kubelet leaves it empty; the runtime fills in the node's).
    ...(config.hostNetwork ? {} : { hostname: config.hostname ?? config.name }),
    ...(options.podLogsDir ? { logDirectory: podLogDirectoryOf(options.podLogsDir, config) } : {}),
    ...(config.dns ? { dnsConfig: { servers: config.dns.nameservers ?? [], searches: config.dns.searches ?? [], options: config.dns.options ?? [] } } : {}),
    labels: {
      [kubernetesLabels.podName]: config.name,
      [kubernetesLabels.podNamespace]: config.namespace,
      [kubernetesLabels.podUid]: config.uid,
      ...(options.node ? { [nodeLabel]: options.node } : {}),
    },
    annotations: { [sandboxConfigAnnotation]: JSON.stringify(config) },
    linux: {
      // A cgroup of its own for the pod (pod-cgroups.ts), which runc's pause and containers go under.
      ...(options.podCgroups ? { cgroupParent: podCgroupParent(config.uid) } : {}),
      securityContext: {
        namespaceOptions: podNamespaceOptions(config),
        // The pod's identity and labels for the sandbox's own process, as the kubelet sets them.
        ...(config.runAsUser !== undefined ? { runAsUser: { value: config.runAsUser } } : {}),
        // The CRI has the runtime refuse a group without a user (containerd: "user group … is specified without user"):
        // a pod that gives only runAsGroup runs its sandbox as the image's user rather than fail.
        ...(config.runAsGroup !== undefined && config.runAsUser !== undefined ? { runAsGroup: { value: config.runAsGroup } } : {}),
        ...(config.supplementalGroups?.length ? { supplementalGroups: config.supplementalGroups } : {}),
        ...(config.seLinuxOptions ? { selinuxOptions: config.seLinuxOptions } : {}),
        privileged: config.privileged === true,
        // The kubelet always runs the sandbox (pause) under the runtime's default profile, whatever the pod's
        // own: a pod-level profile made for the application need not allow what pause does.
        seccomp: { profileType: 'RuntimeDefault' },
      },
      ...(config.sysctls && Object.keys(config.sysctls).length ? { sysctls: config.sysctls } : {}),
    },
  };
}

/** The skiff config a sandbox was made from, from its annotation; undefined when it was not made by skiff. */
export function sandboxRequestOf(annotations: Record<string, string>): PodSandboxConfig | undefined {
  const text = annotations[sandboxConfigAnnotation];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as PodSandboxConfig;
    return typeof parsed.uid === 'string' && typeof parsed.name === 'string' && typeof parsed.namespace === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The restart count in a kubelet log file name (`<container>/<restart count>.log`). */
export function attemptFromLogPath(logPath: string | undefined): number | undefined {
  const match = logPath ? /^(\d+)\.log$/.exec(logPath.split(sep).pop() ?? '') : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * The CRI's log path is relative to the sandbox's log directory; ours is
 * absolute. The directory is the sandbox's when the file is inside it,
 * else the kubelet layout's (`<pod dir>/<container>/<n>.log`).
 */
export function splitLogPath(logPath: string, sandboxLogDirectory: string | undefined): { logDirectory: string; logPath: string } {
  if (!isAbsolute(logPath)) throw new Error(`a container's log path must be absolute: ${logPath}`);
  if (sandboxLogDirectory) {
    const inside = relative(sandboxLogDirectory, logPath);
    if (inside && !inside.startsWith('..') && !isAbsolute(inside)) return { logDirectory: sandboxLogDirectory, logPath: inside };
  }
  const logDirectory = dirname(dirname(logPath));
  return { logDirectory, logPath: relative(logDirectory, logPath) };
}

/** CFS period the kubelet uses, and its smallest quota (1 ms). */
const cpuPeriod = 100_000;
const minQuota = 1000;
const minShares = 2;

/** The kubelet's milliCPUToQuota. */
export function milliCPUToQuota(milliCPU: number): number {
  if (milliCPU <= 0) return 0;
  return Math.max(minQuota, Math.floor((milliCPU * cpuPeriod) / 1000));
}

/** The kubelet's milliCPUToShares: 1024 per CPU, at least 2. */
export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU <= 0) return minShares;
  return Math.max(minShares, Math.floor((milliCPU * 1024) / 1000));
}

let maskedPathsCache: string[] | undefined;

/** The kubelet's default masked paths (securitycontext/util.go, v1.32): moby's list, plus each CPU's thermal_throttle. */
export function kubeletMaskedPaths(): string[] {
  if (maskedPathsCache) return maskedPathsCache;
  const paths = ['/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
  for (const cpu of possibleCPUs()) {
    const path = `/sys/devices/system/cpu/cpu${cpu}/thermal_throttle`;
    if (existsSync(path)) paths.push(path);
  }
  return (maskedPathsCache = paths);
}

function possibleCPUs(): number[] {
  try {
    const cpus: number[] = [];
    for (const range of readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')) {
      const [from, to = from] = range.split('-').map(Number);
      for (let cpu = from; cpu <= to && cpus.length < 4096; cpu++) cpus.push(cpu);
    }
    return cpus;
  } catch {
    return [];
  }
}

/**
 * A seccomp profile in the CRI's terms, as the kubelet's fieldSeccompProfile:
 * Localhost names a file under the node's seccomp profile root; no profile
 * is Unconfined (RuntimeDefault with seccompDefault).
 */
export function criSeccompProfile(profile: SecurityProfile | undefined, options: SeccompOptions): CriSecurityProfile {
  if (!profile) return { profileType: options.seccompDefault ? 'RuntimeDefault' : 'Unconfined' };
  if (profile.type === 'RuntimeDefault') return { profileType: 'RuntimeDefault' };
  if (profile.type === 'Localhost') {
    if (!profile.localhostProfile) throw new Error('localhostProfile must be set if seccompProfile type is Localhost.');
    if (!options.seccompProfileRoot) throw new Error(`seccomp profile "${profile.localhostProfile}": this node has no seccomp profile root (the CRI runtime's seccompProfileRoot) to find it in`);
    return { profileType: 'Localhost', localhostRef: join(options.seccompProfileRoot, profile.localhostProfile) };
  }
  return { profileType: 'Unconfined' };
}

/**
 * An AppArmor profile in the CRI's terms (the kubelet's getAppArmorProfile):
 * the SecurityProfile, and the deprecated string older runtimes read.
 * Localhost names a profile loaded on the node.
 */
export function criAppArmorProfile(profile: SecurityProfile): { apparmor: CriSecurityProfile; apparmorProfile: string } {
  if (profile.type === 'RuntimeDefault') return { apparmor: { profileType: 'RuntimeDefault' }, apparmorProfile: 'runtime/default' };
  if (profile.type === 'Unconfined') return { apparmor: { profileType: 'Unconfined' }, apparmorProfile: 'unconfined' };
  if (!profile.localhostProfile) throw new Error('missing localhost apparmor profile name');
  return { apparmor: { profileType: 'Localhost', localhostRef: profile.localhostProfile }, apparmorProfile: `localhost/${profile.localhostProfile}` };
}

function securityContextOf(config: ContainerConfig, sandbox: PodSandboxConfig, options: SeccompOptions): LinuxContainerSecurityContext {
  const security = config.security ?? {};
  const unmasked = security.procMount === 'Unmasked';
  const podNamespaces = podNamespaceOptions(sandbox);
  // An ephemeral container with a target joins that container's PID namespace — unless the pod's
  // containers already share one (the pod's, or the node's), which it then shares too.
  const namespaceOptions: NamespaceOption =
    config.pidNamespaceOf && podNamespaces.pid === 'CONTAINER' ? { ...podNamespaces, pid: 'TARGET', targetId: config.pidNamespaceOf } : podNamespaces;
  // The kubelet's order: fsGroup, then the pod's supplemental groups.
  const groups = [...(security.fsGroup !== undefined ? [security.fsGroup] : []), ...(security.supplementalGroups ?? [])];
  return {
    ...(security.capabilities ? { capabilities: { addCapabilities: security.capabilities.add ?? [], dropCapabilities: security.capabilities.drop ?? [] } } : {}),
    privileged: security.privileged === true,
    namespaceOptions,
    ...(security.seLinuxOptions ? { selinuxOptions: security.seLinuxOptions } : {}),
    ...(security.runAsUser !== undefined ? { runAsUser: { value: security.runAsUser } } : {}),
    ...(security.runAsGroup !== undefined ? { runAsGroup: { value: security.runAsGroup } } : {}),
    readonlyRootfs: security.readOnlyRootFilesystem === true,
    ...(groups.length ? { supplementalGroups: groups } : {}),
    noNewPrivs: security.allowPrivilegeEscalation === false,
    // A privileged container sees /proc and /sys whole; otherwise the kubelet's defaults unless procMount is Unmasked.
    ...(security.privileged ? {} : { maskedPaths: unmasked ? [] : kubeletMaskedPaths(), readonlyPaths: unmasked ? [] : defaultReadOnlyPaths }),
    // Sent for privileged containers too, as the kubelet does: the runtime applies none to them.
    seccomp: criSeccompProfile(security.seccompProfile, options),
    // Only when the pod names one: without it the runtime applies its default (when the node has AppArmor).
    ...(security.appArmorProfile ? criAppArmorProfile(security.appArmorProfile) : {}),
  };
}

/** What a container's CRI config needs beyond its own and its sandbox's: its log path (relative to the sandbox's log directory), the node's label, seccomp. */
export interface ContainerConfigOptions extends SeccompOptions {
  logPath?: string;
  node?: string;
}

export function criContainerConfig(config: ContainerConfig, attempt: number, sandbox: PodSandboxConfig, options: ContainerConfigOptions = {}): CriContainerConfig {
  const { logPath, node } = options;
  // The kubelet's shares: from the request, else from the limit (what the apiserver defaults the request to), else the least.
  const cpuRequest = config.milliCPURequest ?? config.milliCPULimit;
  return {
    metadata: { name: config.name, attempt },
    image: { image: config.image },
    // Kubernetes' command replaces the image's entrypoint and args its cmd: the CRI's command and args.
    command: config.command ?? [],
    args: config.args ?? [],
    ...(config.workingDir ? { workingDir: config.workingDir } : {}),
    envs: Object.entries(config.env ?? {}).map(([key, value]) => ({ key, value })),
    mounts: (config.mounts ?? []).map((mount) => ({ containerPath: mount.containerPath, hostPath: mount.hostPath, readonly: mount.readOnly === true })),
    labels: {
      [kubernetesLabels.containerName]: config.name,
      [kubernetesLabels.podName]: sandbox.name,
      [kubernetesLabels.podNamespace]: sandbox.namespace,
      [kubernetesLabels.podUid]: sandbox.uid,
      ...(node ? { [nodeLabel]: node } : {}),
    },
    annotations: {
      [restartCountAnnotation]: String(attempt),
      [stdioAnnotation]: JSON.stringify({ stdin: config.stdin === true, stdinOnce: config.stdinOnce === true, tty: config.tty === true }),
    },
    ...(logPath ? { logPath } : {}),
    stdin: config.stdin === true,
    stdinOnce: config.stdinOnce === true,
    tty: config.tty === true,
    linux: {
      resources: {
        cpuPeriod,
        ...(config.milliCPULimit ? { cpuQuota: milliCPUToQuota(config.milliCPULimit) } : {}),
        cpuShares: milliCPUToShares(cpuRequest ?? 0),
        ...(config.memoryLimit ? { memoryLimitInBytes: config.memoryLimit } : {}),
        ...(config.oomScoreAdj !== undefined ? { oomScoreAdj: config.oomScoreAdj } : {}),
      },
      securityContext: securityContextOf(config, sandbox, options),
    },
  };
}

/** stdin/tty of a container we made, from its annotation. */
export function stdioOf(annotations: Record<string, string>): { stdin: boolean; stdinOnce: boolean; tty: boolean } {
  try {
    const parsed = JSON.parse(annotations[stdioAnnotation] ?? '{}') as Record<string, unknown>;
    return { stdin: parsed.stdin === true, stdinOnce: parsed.stdinOnce === true, tty: parsed.tty === true };
  } catch {
    return { stdin: false, stdinOnce: false, tty: false };
  }
}

const states: Record<CriContainerState, ContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

export function containerStateOf(state: CriContainerState | string): ContainerState {
  return states[state as CriContainerState] ?? 'unknown';
}

/** Nanoseconds since the epoch (0: unset) → a Date. */
export function dateOfNanos(nanos: number): Date | undefined {
  return nanos > 0 ? new Date(Math.floor(nanos / 1e6)) : undefined;
}

export function containerStatusOf(status: CriContainerStatus): ContainerStatus {
  const state = containerStateOf(status.state);
  const startedAt = dateOfNanos(status.startedAt);
  const finishedAt = dateOfNanos(status.finishedAt);
  const attempt = status.metadata?.attempt ?? Number(status.annotations[restartCountAnnotation] ?? 0);
  return {
    id: status.id,
    name: status.metadata?.name || status.labels[kubernetesLabels.containerName] || '',
    image: status.image?.image || status.imageRef,
    attempt: Number.isFinite(attempt) ? attempt : 0,
    state,
    createdAt: dateOfNanos(status.createdAt) ?? new Date(0),
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    ...(state === 'exited' ? { exitCode: status.exitCode } : {}),
    ...(status.reason ? { reason: status.reason } : {}),
    ...(status.message ? { message: status.message } : {}),
    ...(status.logPath ? { logPath: status.logPath } : {}),
  };
}

export function podSandboxOf(status: PodSandboxStatus, hostIP: string | undefined): PodSandbox {
  const request = sandboxRequestOf(status.annotations);
  const hostNetwork = request?.hostNetwork === true;
  return {
    id: status.id,
    podUid: status.metadata?.uid || status.labels[kubernetesLabels.podUid] || '',
    // containerd reports no IP for a pod on the node's network: it has the node's.
    ip: status.network?.ip || (hostNetwork ? (hostIP ?? '') : ''),
    createdAt: dateOfNanos(status.createdAt) ?? new Date(0),
    state: status.state === 'SANDBOX_READY' ? 'ready' : 'notready',
  };
}
