/**
 * A Runtime over the CRI: containerd (its CRI plugin) runs the sandboxes
 * and containers, holds the images and writes the logs; this class turns
 * the agent's calls into CRI calls (cri-config.ts), relists for container
 * events (relist.ts) and speaks the streaming protocol for exec and attach
 * (streaming.ts). containerd keeps its own state, so an agent that
 * restarts adopts what it finds by listing — nothing to recover.
 */
import type { Duplex } from 'node:stream';
import { ContainerEvents } from '../events.js';
import * as grpc from '@grpc/grpc-js';
import { ExecTimeoutError, type PodSandboxUsage, type RuntimeCapabilities, type AttachedContainer, type ContainerConfig, type ContainerStatus, type ExecOptions, type ExecProcess, type ExecSyncResult, type PodSandbox, type PodSandboxConfig, type Runtime } from '../runtime.js';
import { CriClient, CriError, isNotFound, type CriClientOptions } from './client.js';
import {
  attemptFromLogPath,
  containerStateOf,
  containerStatusOf,
  criContainerConfig,
  criSandboxConfig,
  kubernetesLabels,
  nodeLabel,
  podSandboxOf,
  sandboxRequestOf,
  splitLogPath,
  stdioOf,
  type SeccompOptions,
} from './cri-config.js';
import type { CriContainer, CriPodSandboxConfig } from './cri-types.js';
import { CriImageService } from './image-service.js';
import { ContainerRelister } from './relist.js';
import { apparmorEnabled } from './containerd/host-facts.js';
import { openPortForward } from './port-forward.js';
import { removePodCgroup, sweepPodCgroups } from './pod-cgroups.js';
import { openRemoteCommand, type StreamingTransportKind } from './streaming.js';

/** The RuntimeClass handler that runs commands on the node's own file system: the process runtime's, not containerd's. */
export const hostHandler = 'host';

export interface CriRuntimeOptions extends CriClientOptions, SeccompOptions {
  /** The runtime's socket: `unix:///run/containerd/containerd.sock`. */
  endpoint: string;
  /** Whether the host's kernel has AppArmor on (default: read from /sys/module/apparmor); without it pods that ask for a profile are held back. */
  appArmorEnabled?: boolean;
  /**
   * A cgroup per pod (`/skiff/pod<uid>`, the sandbox's cgroup_parent), for
   * a containerd with the cgroupfs driver — skiff's own says which it has;
   * PodSandboxStats answers only for pods with one (pod-cgroups.ts).
   */
  podCgroups?: boolean;
  /** The kubelet's podLogsDir: sandboxes get `<podLogsDir>/<ns>_<name>_<uid>` as their log directory. Without it, each container's log path says. */
  podLogsDir?: string;
  /** The node's name: sandboxes and containers are labelled with it, and only those are listed (a shared containerd's others are left alone). */
  node?: string;
  /** The node's IP: the address of pods on the node's network (containerd reports none for them). */
  hostIP?: string;
  /** containerd's sandbox image (its `sandbox_image`), which image garbage collection must not remove. */
  sandboxImage?: string;
  /** `skiff up`: the pods stop with the agent; otherwise they keep running for the next agent (the kubelet's way). */
  stopOnShutdown?: boolean;
  /**
   * How exec and attach reach the streaming server: `auto` (default) takes
   * SPDY when stdin is fed (only SPDY can end stdin alone), a WebSocket
   * otherwise; or always one of them.
   */
  streamingTransport?: StreamingTransportKind;
  /** How often containers are relisted for events: 1 s, the kubelet's PLEG period. */
  relistPeriodMs?: number;
  /**
   * Sets up the node's pod network before the first pod — the bridge the
   * CNI plugins attach pods to — and says where node services listen for
   * pods and the bridge's name (Runtime.prepareNetwork). containerd sets
   * up each pod's network itself; this is the node's side, the agent's to give.
   */
  prepareNetwork?: () => Promise<{ address: string; bridge: string } | undefined>;
  log?: (event: Record<string, unknown>) => void;
}

/** What attach and exec must know at once about a container: from our own calls and every relist. */
interface KnownContainer {
  sandboxId: string;
  state: ContainerStatus['state'];
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
}

export class CriRuntime extends ContainerEvents implements Runtime {
  name = 'containerd';
  runtimeVersion: string | undefined;
  readonly capabilities: RuntimeCapabilities;
  readonly isolation = 'root' as const;
  readonly images: CriImageService;
  readonly client: CriClient;
  private readonly relister: ContainerRelister;
  private readonly known = new Map<string, KnownContainer>();
  /** The sandboxes' pause PIDs, as containerd's verbose status gave them (asked once per sandbox). */
  private readonly sandboxPids = new Map<string, number>();
  /** The CRI config of each sandbox we ran or read back: CreateContainer sends it again. */
  private readonly sandboxConfigs = new Map<string, { request: PodSandboxConfig; cri: CriPodSandboxConfig }>();
  private readonly log: (event: Record<string, unknown>) => void;
  /** Runtime.prepareNetwork: from the options, or set by whoever makes the runtime. */
  prepareNetwork?: () => Promise<{ address: string; bridge: string } | undefined>;
  /** Attach sessions that ended while their container still ran, waiting for its exit code. */
  private readonly exitWaiters = new Map<string, ((exitCode: number) => void)[]>();

  constructor(private readonly options: CriRuntimeOptions) {
    super();
    // containerd applies AppArmor profiles where the kernel has AppArmor on (the kubelet's host check).
    const appArmor = options.appArmorEnabled ?? apparmorEnabled();
    this.capabilities = { machine: true, ...(appArmor ? {} : { appArmorUnavailable: 'AppArmor is not enabled on the host' }) };
    this.client = new CriClient(options.endpoint, options);
    this.images = new CriImageService(this.client, { sandboxImage: options.sandboxImage });
    this.log = options.log ?? (() => {});
    if (options.prepareNetwork) this.prepareNetwork = options.prepareNetwork;
    this.relister = new ContainerRelister(
      { listContainers: () => this.listOwnContainers(), containerStatus: (id) => this.containerStatus(id) },
      (sandboxId, status) => this.emit(sandboxId, status),
      options.relistPeriodMs ?? 1000,
      (event) => this.log({ component: 'cri', ...event }),
      (container) => this.observe(container),
      (id) => this.forget(id),
    );
  }

  /**
   * A runtime that answered: it speaks CRI v1 and `name` is its own
   * (`containerd`) — or a clear error (nothing listens, another version).
   */
  static async connect(options: CriRuntimeOptions): Promise<CriRuntime> {
    const runtime = new CriRuntime(options);
    try {
      const version = await runtime.version();
      if (version.runtimeApiVersion !== 'v1') throw new Error(`the container runtime at ${runtime.client.endpoint} speaks CRI ${version.runtimeApiVersion || '(unknown)'}, not v1`);
      return runtime;
    } catch (err) {
      runtime.relister.stop();
      runtime.client.close();
      throw err;
    }
  }

  /** The runtime's name and version (and that it answers at all): `containerd 1.6.20`. Sets `name` to the runtime's. */
  async version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    const version = await this.client.version();
    if (version.runtimeName) this.name = version.runtimeName;
    // What the kubelet puts in the Node's nodeInfo.containerRuntimeVersion.
    if (version.runtimeName && version.runtimeVersion) this.runtimeVersion = `${version.runtimeName}://${version.runtimeVersion}`;
    return version;
  }

  override onContainerEvent(listener: (sandboxId: string, status: ContainerStatus) => void): void {
    super.onContainerEvent(listener);
    this.relister.start();
  }

  /** One relist now: events for whatever changed since the last. */
  relist(): Promise<void> {
    return this.relister.relist();
  }

  private get ownLabels(): Record<string, string> | undefined {
    return this.options.node ? { [nodeLabel]: this.options.node } : undefined;
  }

  private listOwnContainers(): Promise<CriContainer[]> {
    const labelSelector = this.ownLabels;
    return this.client.listContainers(labelSelector ? { labelSelector } : undefined);
  }

  private observe(container: CriContainer): void {
    const stdio = stdioOf(container.annotations);
    this.known.set(container.id, { sandboxId: container.podSandboxId, state: containerStateOf(container.state), ...stdio });
    if (container.state === 'CONTAINER_RUNNING' || container.state === 'CONTAINER_CREATED') this.images.noteInUse(container.imageRef);
  }

  /** A container gone (removed by anyone): nothing is kept of it, and attach sessions waiting for its exit end. */
  private forget(id: string): void {
    this.known.delete(id);
    const waiters = this.exitWaiters.get(id);
    this.exitWaiters.delete(id);
    for (const resolve of waiters ?? []) resolve(0);
  }

  // ---- sandboxes ----

  async runPodSandbox(request: PodSandboxConfig): Promise<PodSandbox> {
    if (request.runtimeHandler === hostHandler) {
      throw new Error(
        `RuntimeClass handler "${hostHandler}" runs a pod's commands on the node's own file system, which containerd cannot do: ` +
          'run this pod on a node with the process runtime, or without runtimeClassName: host',
      );
    }
    // A sandbox name is reserved per attempt: a pod's next sandbox takes the next one.
    const earlier = await this.client.listPodSandbox({ labelSelector: { [kubernetesLabels.podUid]: request.uid } });
    const attempt = earlier.reduce((next, sandbox) => Math.max(next, (sandbox.metadata?.attempt ?? 0) + 1), 0);
    const cri = criSandboxConfig(request, attempt, this.options);
    const id = await this.client.runPodSandbox(cri, request.runtimeHandler ?? '');
    this.sandboxConfigs.set(id, { request, cri });
    return podSandboxOf(await this.client.podSandboxStatus(id), this.options.hostIP);
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.client.stopPodSandbox(id).catch(ignoreNotFound);
  }

  async removePodSandbox(id: string): Promise<void> {
    const uid = this.options.podCgroups ? (this.sandboxConfigs.get(id)?.request.uid ?? (await this.client.podSandboxStatus(id).catch(ignoreNotFound))?.metadata?.uid) : undefined;
    await this.client.removePodSandbox(id).catch(ignoreNotFound);
    // runc removed the pause's and the containers' cgroups; the pod's own is left to us.
    if (uid) removePodCgroup(uid);
    this.sandboxConfigs.delete(id);
    this.sandboxPids.delete(id);
    for (const [containerId, container] of this.known) if (container.sandboxId === id) this.known.delete(containerId);
  }

  async listPodSandboxes(): Promise<PodSandbox[]> {
    const labelSelector = this.ownLabels;
    const sandboxes = await this.client.listPodSandbox(labelSelector ? { labelSelector } : undefined);
    const statuses = await Promise.all(sandboxes.map((sandbox) => this.client.podSandboxStatus(sandbox.id).catch(ignoreNotFound)));
    return statuses.filter((status) => status !== undefined).map((status) => podSandboxOf(status, this.options.hostIP));
  }

  /** The sandbox's configs: ours, or read back from its annotation (after an agent restart). */
  private async sandboxConfigOf(id: string): Promise<{ request: PodSandboxConfig; cri: CriPodSandboxConfig }> {
    const cached = this.sandboxConfigs.get(id);
    if (cached) return cached;
    const status = await this.client.podSandboxStatus(id);
    const request = sandboxRequestOf(status.annotations);
    if (!request) throw new Error(`sandbox ${id} was not made by skiff (it has no ${nodeLabel} config): no container is created in it`);
    const cri = criSandboxConfig(request, status.metadata?.attempt ?? 0, this.options);
    this.sandboxConfigs.set(id, { request, cri });
    return { request, cri };
  }

  // ---- containers ----

  async createContainer(sandboxId: string, request: ContainerConfig): Promise<string> {
    const sandbox = await this.sandboxConfigOf(sandboxId);
    const attempt = request.attempt ?? attemptFromLogPath(request.logPath) ?? (await this.nextAttempt(sandboxId, request.name));
    // The CRI's log path is relative to the sandbox's log directory; containerd 1.6 reads that directory from this request.
    const log = request.logPath ? splitLogPath(request.logPath, sandbox.cri.logDirectory) : undefined;
    const sandboxConfig = log ? { ...sandbox.cri, logDirectory: log.logDirectory } : sandbox.cri;
    const config = criContainerConfig(request, attempt, sandbox.request, {
      logPath: log?.logPath,
      node: this.options.node,
      seccompProfileRoot: this.options.seccompProfileRoot,
      seccompDefault: this.options.seccompDefault,
    });
    const id = await this.client.createContainer(sandboxId, config, sandboxConfig);
    this.known.set(id, { sandboxId, state: 'created', stdin: request.stdin === true, stdinOnce: request.stdinOnce === true, tty: request.tty === true });
    return id;
  }

  /** Without a given attempt: one past the highest of this container's in the sandbox ((name, attempt) is unique there). */
  private async nextAttempt(sandboxId: string, name: string): Promise<number> {
    const containers = await this.client.listContainers({ podSandboxId: sandboxId });
    return containers.filter((c) => c.metadata?.name === name).reduce((next, c) => Math.max(next, (c.metadata?.attempt ?? 0) + 1), 0);
  }

  async startContainer(id: string): Promise<void> {
    await this.client.startContainer(id);
    const known = this.known.get(id);
    if (known) known.state = 'running';
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.client.stopContainer(id, timeoutSeconds).catch(ignoreNotFound);
  }

  async removeContainer(id: string): Promise<void> {
    await this.client.removeContainer(id).catch(ignoreNotFound);
    this.forget(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const status = await this.client.containerStatus(id).catch(ignoreNotFound);
    if (!status) return undefined;
    const mapped = containerStatusOf(status);
    const known = this.known.get(id);
    if (known) known.state = mapped.state;
    return mapped;
  }

  async listContainers(sandboxId: string): Promise<ContainerStatus[]> {
    const containers = await this.client.listContainers({ podSandboxId: sandboxId });
    for (const container of containers) this.observe(container);
    const statuses = await Promise.all(containers.map((container) => this.containerStatus(container.id)));
    return statuses.filter((status) => status !== undefined);
  }

  /**
   * The sandbox's pause process on the node, from containerd's verbose
   * PodSandboxStatus (`info.info`, a JSON document with `pid`); undefined
   * when the runtime does not say (another CRI runtime) or the sandbox is
   * gone. Upstream's default stats path (cadvisor) reads the pod's network
   * the same way, from that process's /proc/PID/net/dev.
   * PodSandboxStats would give it too, but containerd 1.6 answers it only
   * for a sandbox with a pod cgroup (cgroup_parent), which skiff does not
   * give it yet.
   */
  async sandboxPid(sandboxId: string): Promise<number | undefined> {
    const known = this.sandboxPids.get(sandboxId);
    if (known) return known;
    const info = await this.client.podSandboxInfo(sandboxId).catch(ignoreNotFound);
    const pid = pidOfInfo(info?.info);
    if (pid) this.sandboxPids.set(sandboxId, pid);
    return pid;
  }

  /**
   * PodSandboxStats: the pod's cgroup (cpu, working set) and its network
   * interfaces. Asked only of pods with a cgroup of their own (podCgroups):
   * containerd 1.6 refuses it for the others.
   */
  async podSandboxStats(sandboxId: string): Promise<PodSandboxUsage | undefined> {
    if (!this.options.podCgroups) return undefined;
    const stats = await this.client.podSandboxStats(sandboxId).catch(ignoreNotFound);
    const linux = stats?.linux;
    if (!linux) return undefined;
    const network = linux.network;
    const interfaces = [...(network?.defaultInterface ? [network.defaultInterface] : []), ...(network?.interfaces ?? [])];
    return {
      ...(linux.cpu?.usageCoreNanoSeconds ? { cpuNanos: linux.cpu.usageCoreNanoSeconds.value } : {}),
      ...(linux.memory?.workingSetBytes ? { memoryWorkingSetBytes: linux.memory.workingSetBytes.value } : {}),
      ...(network ? { network: interfaces.map((i) => ({ name: i.name, rxBytes: i.rxBytes?.value ?? 0, txBytes: i.txBytes?.value ?? 0 })) } : {}),
    };
  }

  async containerStats(id: string): Promise<{ memoryBytes: number; cpuNanos: number } | undefined> {
    const stats = await this.client.containerStats(id).catch(ignoreNotFound);
    if (!stats) return undefined;
    return { memoryBytes: stats.memory?.workingSetBytes?.value ?? 0, cpuNanos: stats.cpu?.usageCoreNanoSeconds?.value ?? 0 };
  }

  // ---- streaming ----

  /**
   * A command in a running container through the runtime's streaming
   * server. kill() ends the session; containerd 1.6 lets the command run
   * to its end (its streaming exec cannot be cancelled) — execSync has a
   * timeout that kills.
   */
  exec(id: string, command: string[], options: ExecOptions): ExecProcess | undefined {
    const known = this.known.get(id);
    if (known && known.state !== 'running') return undefined;
    const tty = options.tty !== undefined;
    const url = this.client.exec({ containerId: id, cmd: command, tty, stdin: options.stdin, stdout: true, stderr: !tty });
    return openRemoteCommand(url, { stdin: options.stdin, ...(options.tty ? { tty: options.tty } : {}), transport: this.options.streamingTransport });
  }

  /**
   * A command run to its end (ExecSync), as the kubelet's exec probes and
   * hooks run theirs: containerd kills it after `timeoutSeconds` (whole
   * seconds, rounded up; 0: no limit, and no deadline on the call either,
   * as the kubelet's hooks) and answers DeadlineExceeded — ExecTimeoutError
   * here. Aborting `signal` cancels the call, and containerd kills the
   * command then too.
   */
  async execSync(id: string, command: string[], timeoutSeconds: number, signal?: AbortSignal): Promise<ExecSyncResult> {
    const known = this.known.get(id);
    if (known && known.state !== 'running') throw new Error('the container is not running');
    const timeout = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? Math.ceil(timeoutSeconds) : 0;
    try {
      // With a timeout the client's deadline allows for containerd's kill on top of it.
      return await this.client.execSync(id, command, timeout, { ...(timeout ? {} : { timeoutMs: Infinity }), ...(signal ? { signal } : {}) });
    } catch (err) {
      if (err instanceof CriError && err.code === grpc.status.DEADLINE_EXCEEDED) throw new ExecTimeoutError(command, timeout);
      throw err;
    }
  }

  /**
   * A connection to a port of the sandbox through the streaming server's
   * port-forward: containerd dials it inside the pod's network namespace.
   */
  portForward(sandboxId: string, port: number): Duplex {
    return openPortForward(this.client.portForward(sandboxId, [port]), port);
  }

  attach(id: string, output: (stream: 'stdout' | 'stderr', data: Buffer) => void): AttachedContainer | undefined {
    const known = this.known.get(id);
    if (!known || known.state !== 'running') return undefined;
    const url = this.client.attach({ containerId: id, tty: known.tty, stdin: known.stdin, stdout: true, stderr: !known.tty });
    const session = openRemoteCommand(url, { stdin: known.stdin, transport: this.options.streamingTransport });
    session.stdout.on('data', (data: Buffer) => output('stdout', data));
    session.stderr.on('data', (data: Buffer) => output('stderr', data));
    let detached = false;
    const stdin = session.stdin;
    return {
      ...(stdin ? { writeStdin: (data: Buffer) => void stdin.write(data) } : {}),
      // Ending stdin reaches the container when it has stdinOnce (containerd closes it then).
      ...(stdin && known.stdinOnce ? { closeStdin: () => void stdin.end() } : {}),
      detach: () => {
        detached = true;
        session.kill();
      },
      ...(known.tty ? { resize: session.resize } : {}),
      exited: session.done.then(async () => (detached ? 0 : await this.exitCodeAfterAttach(id))),
    };
  }

  /** The session ended without a detach: the container stopped, or a relist will see it stop. */
  private async exitCodeAfterAttach(id: string): Promise<number> {
    const status = await this.containerStatus(id).catch(() => undefined);
    if (!status || status.state !== 'running') return status?.exitCode ?? 0;
    this.relister.start();
    return new Promise<number>((resolve) => {
      const waiters = this.exitWaiters.get(id) ?? [];
      waiters.push(resolve);
      this.exitWaiters.set(id, waiters);
    });
  }

  protected override emit(sandboxId: string, status: ContainerStatus): void {
    super.emit(sandboxId, status);
    const waiters = status.state !== 'running' && status.state !== 'created' ? this.exitWaiters.get(status.id) : undefined;
    if (!waiters) return;
    this.exitWaiters.delete(status.id);
    for (const resolve of waiters) resolve(status.exitCode ?? 0);
  }

  // ---- lifecycle ----

  /** containerd keeps sandboxes and containers across agent restarts: the agent adopts them by listing. */
  async recover(): Promise<void> {
    // Pod cgroups an earlier agent left after its pods were gone (only empty ones go).
    if (this.options.podCgroups) sweepPodCgroups();
  }

  describeIsolation(): string | undefined {
    return undefined;
  }

  async shutdown(): Promise<void> {
    this.relister.stop();
    for (const id of [...this.exitWaiters.keys()]) this.forget(id);
    if (this.options.stopOnShutdown) {
      // Every pod at once, each container with 5 s before SIGKILL (as the process runtime): a stop takes 5 s, not 5 s a pod.
      const sandboxes = await this.listPodSandboxes().catch(() => []);
      await Promise.all(
        sandboxes.map(async (sandbox) => {
          const containers = await this.client.listContainers({ podSandboxId: sandbox.id }).catch(() => []);
          await Promise.all(containers.map((container) => this.stopContainer(container.id, 5).catch(() => {})));
          await this.stopPodSandbox(sandbox.id).catch(() => {});
          await this.removePodSandbox(sandbox.id).catch(() => {});
        }),
      );
    }
    this.client.close();
  }
}

/** Already gone is done: undefined instead of the NotFound error. */
/** `pid` of containerd's verbose info document, when it is a positive integer. */
function pidOfInfo(info: string | undefined): number | undefined {
  if (!info) return undefined;
  try {
    const pid = (JSON.parse(info) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}
