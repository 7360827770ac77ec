/**
 * The container runtime interface, shaped after Kubernetes' CRI: a pod
 * sandbox (the pod's shared environment — network, hostname, IP) holding
 * containers that are created, started, stopped and removed one by one.
 * The agent drives a runtime only through this interface, so `process`,
 * `simulated` and (later) a CRI client are interchangeable.
 */

import type { ImageService } from '../images/types.js';
import type { Duplex, Readable, Writable } from 'node:stream';

export interface PodSandboxConfig {
  /** The pod's uid: a sandbox belongs to one pod. */
  uid: string;
  namespace: string;
  name: string;
  hostname?: string;
  hostNetwork?: boolean;
  /** The pod's resolver settings (cluster DNS); without them, the machine's. */
  dns?: { nameservers?: string[]; searches?: string[]; options?: string[] };
  /**
   * The RuntimeClass handler the pod asked for (the CRI's runtime_handler):
   * `host` runs its containers' commands on the node's own file system;
   * empty is the runtime's default.
   */
  runtimeHandler?: string;
  /** The node's process namespace (spec.hostPID): the pod's containers see every process of the node. */
  hostPID?: boolean;
  /** The node's IPC namespace (spec.hostIPC). */
  hostIPC?: boolean;
  /** One process namespace for all the pod's containers (spec.shareProcessNamespace); hostPID wins. */
  shareProcessNamespace?: boolean;
  /** Namespaced kernel parameters for the pod (spec.securityContext.sysctls), name → value. */
  sysctls?: Record<string, string>;
  /**
   * Some container of the pod (init, app, or ephemeral when the sandbox is
   * made) is privileged: the sandbox must allow it (the kubelet's
   * hasPrivilegedContainer; containerd refuses a privileged container in a
   * sandbox that is not).
   */
  privileged?: boolean;
  /** The pod's runAsUser and runAsGroup (spec.securityContext): the sandbox's own process (pause) runs as them. */
  runAsUser?: number;
  runAsGroup?: number;
  /** The pod's fsGroup, then its supplementalGroups: the sandbox process's groups, as the kubelet lists them. */
  supplementalGroups?: number[];
  /** The pod's SELinux labels, for runtimes on SELinux hosts. */
  seLinuxOptions?: SELinuxLabels;
}

/** SELinux labels as the pod spec gives them. */
export interface SELinuxLabels {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

/** What PodSandboxStats gives of a pod. */
export interface PodSandboxUsage {
  cpuNanos?: number;
  memoryWorkingSetBytes?: number;
  network?: { name: string; rxBytes: number; txBytes: number }[];
}

export interface PodSandbox {
  id: string;
  podUid: string;
  /** The pod's IP (the node's when on the host network). */
  ip: string;
  createdAt: Date;
  state: 'ready' | 'notready';
}

export interface ContainerConfig {
  name: string;
  image: string;
  /** Keep the container's stdin open for `kubectl attach -i` (spec.stdin). */
  stdin?: boolean;
  /** Close the container's stdin when the first attached client detaches (spec.stdinOnce). */
  stdinOnce?: boolean;
  /** Run the command on a terminal of its own (spec.tty). */
  tty?: boolean;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** Where the runtime writes the container's stdout/stderr (CRI log format). */
  logPath?: string;
  /** For simulated runtimes: how the container ends (for pods that are meant to finish). */
  restartPolicy?: string;
  /** Memory and CPU limits, in bytes and millicores. */
  memoryLimit?: number;
  milliCPULimit?: number;
  /** The CPU request in millicores (cpu shares; without it the limit's, else the least). Runtimes without CPU weights ignore it. */
  milliCPURequest?: number;
  /** The container's oom_score_adj, from its pod's QoS class (oom-score.ts). */
  oomScoreAdj?: number;
  /** Which run of this container in its pod this is: its restart count (0, 1, 2 …), as its log file is named. */
  attempt?: number;
  /** Volumes: a directory or file of the node shown at a path in the container. */
  mounts?: Mount[];
  /**
   * The id of a running container of the same sandbox whose process (PID)
   * namespace this container joins, so it sees that container's processes —
   * the CRI's NamespaceMode TARGET, used for ephemeral containers with a
   * targetContainerName. Runtimes without PID namespaces ignore it.
   */
  pidNamespaceOf?: string;
  /** The container's security context, as the kubelet works it out from the pod's and the container's. */
  security?: ContainerSecurityConfig;
}

export interface ContainerSecurityConfig {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  fsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  allowPrivilegeEscalation?: boolean;
  procMount?: string;
  /** The seccomp profile (the container's, else the pod's); unset: the runtime's choice for an unset profile. */
  seccompProfile?: SecurityProfile;
  /** The AppArmor profile (the container's field, else its pod annotation, else the pod's field); unset: the runtime's default. */
  appArmorProfile?: SecurityProfile;
  /** SELinux labels (the container's, else the pod's). */
  seLinuxOptions?: SELinuxLabels;
}

/** A seccomp or AppArmor profile as the pod spec names it. */
export interface SecurityProfile {
  type: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  /** Localhost: seccomp — a file under the node's seccomp profile root; AppArmor — a profile loaded on the node. */
  localhostProfile?: string;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  name: string;
  image: string;
  /** 0 for the first run of this container in its pod, then 1, 2 … (the restart count). */
  attempt?: number;
  state: ContainerState;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  /** Why it exited: Completed, Error, OOMKilled, ContainerCannotRun … */
  reason?: string;
  message?: string;
  /** The file its output goes to, in the CRI log format (runtimes that keep logs). */
  logPath?: string;
}

/** What a runtime can do, which the agent and the CLI read instead of asking which runtime it is. */
export interface RuntimeCapabilities {
  /**
   * Containers run on this machine, using its CPU, memory and disk (not
   * simulated): the agent measures the machine's pressure, mounts pods'
   * volumes from its disk and provisions local-path volumes there.
   */
  machine: boolean;
  /**
   * Why pods that ask for an AppArmor profile (other than Unconfined) cannot
   * run here — the kubelet's AppArmor admission: such a pod stays Pending
   * with reason AppArmor and its containers Blocked; undefined when the
   * runtime enforces the profiles (or, simulated, runs nothing).
   */
  appArmorUnavailable?: string;
}

export interface Runtime {
  /** A short name for logs and the node's status (`process`, `simulated`). */
  readonly name: string;
  readonly capabilities: RuntimeCapabilities;
  /** `<name>://<version>` as the Node's nodeInfo.containerRuntimeVersion shows it (`containerd://1.6.20`); skiff's own runtimes leave it out. */
  readonly runtimeVersion?: string;
  /**
   * Sets up the node's pod network (its bridge) before the first pod and
   * says where node services listen for pods (the cluster DNS) and what the
   * bridge is called (the service proxy's and NetworkPolicy's tables);
   * undefined when pods have no network of their own.
   */
  prepareNetwork?(): Promise<{ address: string; bridge: string } | undefined>;
  runPodSandbox(config: PodSandboxConfig): Promise<PodSandbox>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  listPodSandboxes(): Promise<PodSandbox[]>;
  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after the timeout. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  /** The containers of a sandbox (all of them, exited included). */
  listContainers(sandboxId: string): Promise<ContainerStatus[]>;
  /**
   * Streams a running container's output from now on, and feeds its stdin
   * when it was created with one (kubectl attach). Undefined when the
   * runtime cannot.
   */
  attach?(id: string, output: (stream: 'stdout' | 'stderr', data: Buffer) => void): AttachedContainer | undefined;
  /** Finds what an earlier agent left running (called once, before the first sandbox). */
  recover?(): Promise<void>;
  /**
   * Runs a command inside a running container, as the container runs (its
   * namespaces, root, environment, user and privileges): kubectl exec,
   * exec probes and exec hooks. Undefined when the container is not running.
   */
  exec?(id: string, command: string[], options: ExecOptions): ExecProcess | undefined;
  /**
   * Runs a command in a running container to its end and gives its exit
   * code and output (the CRI's ExecSync) — exec probes and exec hooks use it
   * when a runtime has it. The runtime kills the command once it has run
   * `timeoutSeconds` (0: no limit), and the call rejects with
   * ExecTimeoutError; or when `signal` aborts — unlike a streaming exec's
   * kill(), which a CRI runtime may leave running. Rejects too when the
   * command could not run.
   */
  execSync?(id: string, command: string[], timeoutSeconds: number, signal?: AbortSignal): Promise<ExecSyncResult>;
  /**
   * A connection to a port of a sandbox, dialled inside its network
   * namespace (so a server on the pod's 127.0.0.1 is reached), for kubectl
   * port-forward; it emits 'error' with the runtime's words when the port
   * cannot be reached. Runtimes without it are dialled at the pod's IP.
   */
  portForward?(sandboxId: string, port: number): Duplex;
  /** Memory (bytes) and cpu (nanoseconds) a container has used, where the runtime can tell. */
  containerStats?(id: string): Promise<{ memoryBytes: number; cpuNanos: number } | undefined>;
  /**
   * The pod as a whole where the runtime measures it (the CRI's
   * PodSandboxStats): its cgroup's cpu and memory, pause included, and its
   * network interfaces; undefined when it cannot.
   */
  podSandboxStats?(sandboxId: string): Promise<PodSandboxUsage | undefined>;
  /**
   * The host PID of the process that holds a sandbox's namespaces (the
   * pod shim; containerd's pause): the node's metrics read the pod's
   * network from its /proc/PID/net/dev, as cadvisor does for the kubelet.
   */
  sandboxPid?(sandboxId: string): Promise<number | undefined>;
  /** The host PID of a running container's main process (runtimes that run processes): the node's metrics read its processes and network namespace. */
  containerPid?(id: string): number | undefined;
  /** Why this runtime cannot isolate pods here (said in an event on the node); undefined when it can. */
  describeIsolation?(): string | undefined;
  /** How it isolates pods here: as root, rootless (an ordinary user's user namespaces), or not at all (the node's ContainerIsolation condition). */
  readonly isolation?: 'root' | 'rootless' | 'none';
  /** Called when the agent begins to stop, before its pod workers are halted. */
  beginShutdown?(): void;
  /** Called when the agent stops: what must not outlive it (a runtime whose containers outlive the agent leaves them to the next). */
  shutdown?(): Promise<void>;
  /**
   * The node's images, when this runtime runs containers from images (the
   * agent pulls them before it creates a container); undefined when it runs
   * commands only.
   */
  readonly images?: ImageService;
  /**
   * Why this runtime cannot run containers from images here though it
   * would elsewhere (a process runtime without root): pods then run only
   * with the RuntimeClass host, and the others say this.
   */
  readonly imageRefusal?: string;
  /** Called when a container changes state, so the agent need not poll. */
  onContainerEvent(listener: (sandboxId: string, status: ContainerStatus) => void): void;
}

export interface TerminalSize {
  width: number;
  height: number;
}

export interface ExecOptions {
  /** The caller feeds the command's stdin (otherwise it reads an empty one). */
  stdin: boolean;
  /** The command runs on a new terminal of this size (kubectl exec -t); its output all comes as stdout. */
  tty?: TerminalSize;
}

/** What Runtime.execSync gives back: the exit code and the output (the runtime may cut it short). */
export interface ExecSyncResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** Runtime.execSync's command ran past its timeout, and the runtime killed it. */
export class ExecTimeoutError extends Error {
  constructor(
    readonly command: string[],
    readonly timeoutSeconds: number,
  ) {
    super(`command ${JSON.stringify(command.join(' '))} timed out after ${timeoutSeconds}s`);
    this.name = 'ExecTimeoutError';
  }
}

/** A command running in a container (Runtime.exec). */
export interface ExecProcess {
  /** Its input, when asked for. */
  stdin?: Writable;
  stdout: Readable;
  stderr: Readable;
  /** A new size for its terminal (tty only). */
  resize(size: TerminalSize): void;
  /** Ends it now. */
  kill(): void;
  /** Its exit code once it and its output have ended — or why it never ran. */
  done: Promise<{ exitCode: number | null; error?: string }>;
}

export interface AttachedContainer {
  /** Undefined when the container has no stdin. */
  writeStdin?(data: Buffer): void;
  closeStdin?(): void;
  detach(): void;
  /** For a container on a terminal: sets the terminal's size. */
  resize?(size: TerminalSize): void;
  /** Resolves with the exit code when the container stops. */
  exited: Promise<number>;
}
