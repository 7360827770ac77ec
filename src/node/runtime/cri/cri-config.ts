/**
 * skiff's sandbox and container configs (runtime.ts) turned into the CRI's,
 * as the kubelet fills them (kuberuntime_sandbox.go, kuberuntime_container.go,
 * security_context.go, labels.go in kubelet v1.32), and the CRI's statuses
 * turned back. Pure functions: cri-runtime.ts does the calls.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, dirname, isAbsolute, sep } from 'node:path';
import type { ContainerConfig, ContainerState, ContainerStatus, PodSandbox, PodSandboxConfig } from '../runtime.js';
import { defaultReadOnlyPaths } from '../process/security.js';
import type { CriContainerConfig, CriContainerState, CriContainerStatus, CriPodSandboxConfig, LinuxContainerSecurityContext, NamespaceOption, PodSandboxStatus } from './cri-types.js';

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

/**
 * Beyond runtime.ts's PodSandboxConfig: whether any container of the pod is
 * privileged — containerd refuses a privileged container in a sandbox not
 * created privileged (the kubelet's hasPrivilegedContainer).
 */
export interface CriSandboxRequest extends PodSandboxConfig {
  privileged?: boolean;
}

/** Beyond runtime.ts's ContainerConfig: the attempt (else from the log file's name) and the CPU request (cpu shares). */
export interface CriContainerRequest extends ContainerConfig {
  attempt?: number;
  milliCPURequest?: number;
}

/** The kubelet's pod log directory: `<podLogsDir>/<namespace>_<name>_<uid>` (container-logs.ts). */
export function podLogDirectoryOf(podLogsDir: string, pod: { namespace: string; name: string; uid: string }): string {
  return join(podLogsDir, `${pod.namespace}_${pod.name}_${pod.uid}`);
}

export function criSandboxConfig(config: CriSandboxRequest, attempt: number, options: { podLogsDir?: string; node?: string }): CriPodSandboxConfig {
  const namespaceOptions: NamespaceOption = { network: config.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' };
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
    linux: { securityContext: { namespaceOptions, privileged: config.privileged === true } },
  };
}

/** The skiff config a sandbox was made from, from its annotation; undefined when it was not made by skiff. */
export function sandboxRequestOf(annotations: Record<string, string>): CriSandboxRequest | undefined {
  const text = annotations[sandboxConfigAnnotation];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as CriSandboxRequest;
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

function securityContextOf(config: CriContainerRequest, sandbox: CriSandboxRequest): LinuxContainerSecurityContext {
  const security = config.security ?? {};
  const unmasked = security.procMount === 'Unmasked';
  const namespaceOptions: NamespaceOption = {
    network: sandbox.hostNetwork ? 'NODE' : 'POD',
    // An ephemeral container with a target joins that container's PID namespace.
    ...(config.pidNamespaceOf ? { pid: 'TARGET', targetId: config.pidNamespaceOf } : { pid: 'CONTAINER' }),
    ipc: 'POD',
  };
  // The kubelet's order: fsGroup, then the pod's supplemental groups.
  const groups = [...(security.fsGroup !== undefined ? [security.fsGroup] : []), ...(security.supplementalGroups ?? [])];
  return {
    ...(security.capabilities ? { capabilities: { addCapabilities: security.capabilities.add ?? [], dropCapabilities: security.capabilities.drop ?? [] } } : {}),
    privileged: security.privileged === true,
    namespaceOptions,
    ...(security.runAsUser !== undefined ? { runAsUser: { value: security.runAsUser } } : {}),
    ...(security.runAsGroup !== undefined ? { runAsGroup: { value: security.runAsGroup } } : {}),
    readonlyRootfs: security.readOnlyRootFilesystem === true,
    ...(groups.length ? { supplementalGroups: groups } : {}),
    noNewPrivs: security.allowPrivilegeEscalation === false,
    // A privileged container sees /proc and /sys whole; otherwise the kubelet's defaults unless procMount is Unmasked.
    ...(security.privileged ? {} : { maskedPaths: unmasked ? [] : kubeletMaskedPaths(), readonlyPaths: unmasked ? [] : defaultReadOnlyPaths }),
  };
}

export function criContainerConfig(config: CriContainerRequest, attempt: number, sandbox: CriSandboxRequest, logPath: string | undefined, node: string | undefined): CriContainerConfig {
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
      },
      securityContext: securityContextOf(config, sandbox),
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
