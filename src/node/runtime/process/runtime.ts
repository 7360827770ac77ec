/**
 * The process runtime: each container's `command` + `args` runs as a
 * process on this machine (the image name is only recorded), started by a
 * small supervisor (supervisor.ts) in its own session, so containers keep
 * running when the agent stops or dies and are found again ("adopted") by
 * the next agent from the state directory.
 *
 * As root, a pod is isolated like a container:
 *   sandbox  = a network namespace with an IP on the node's bridge
 *              (network.ts) and a "pause" process holding the pod's UTS
 *              (hostname) and IPC namespaces;
 *   container = the supervisor entered into those namespaces, in a new
 *              mount and PID namespace of its own (it is the init there),
 *              with the pod's /etc/hosts, /etc/resolv.conf, /etc/hostname
 *              and volumes bind-mounted, and cgroup limits (cgroups.ts).
 * As an ordinary user: plain processes on the host network.
 *
 * Output: the supervisor writes the container's stdout and stderr into two
 * FIFOs; the runtime reads them into CRI-format log files (cri-log.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { AttachedContainer, ContainerConfig, ContainerStatus, PodSandbox, PodSandboxConfig, Runtime } from '../runtime.js';
import { ContainerEvents } from '../events.js';
import { closeQuietly, ContainerOutput, type OutputListener } from './output.js';
import { installSupervisor } from './supervisor.js';
import { ContainerCgroup, detectCgroups, type CgroupVersion } from './cgroups.js';
import { BridgeNetwork, type PodNetworkInfo } from './network.js';
import { alive, canIsolate, defaultPath, findExecutable, namespaceInit, readText, writeAll } from './host.js';
import { writePodFiles } from './pod-files.js';

export { canIsolate } from './host.js';

const run = promisify(execFile);

export interface ProcessRuntimeOptions {
  /** Where container logs go: `<logDir>/pods/<ns>_<pod>_<uid>/<container>/<n>.log`. */
  logDir: string;
  /** Where sandboxes and containers are recorded, so a restarted agent finds them. */
  stateDir: string;
  /** A log file is rotated past this size (upstream's containerLogMaxSize: 10 MiB). */
  logMaxBytes?: number;
  /** Rotated files kept beside the current one (upstream's containerLogMaxFiles: 5, the current one included). */
  logMaxFiles?: number;
  /** The node's IP, which pods on the host network share. */
  hostIP: string;
  /** The node's pod range (a /24); pods get IPs from it when isolated. Default 10.42.0.0/24. */
  podCIDR?: string;
  /** 'auto' (default): namespaces and cgroups when root; 'none': plain processes always. */
  isolation?: 'auto' | 'none';
  /** On agent shutdown, stop the containers (`skiff up`) or leave them running for the next agent (`skiff agent`, like the kubelet). */
  stopOnShutdown?: boolean;
}

interface SandboxRecord extends PodSandbox {
  namespace: string;
  name: string;
  hostname: string;
  hostNetwork: boolean;
  network?: PodNetworkInfo;
  /** The process holding the pod's namespaces (isolated pods). */
  pausePid?: number;
}

interface ContainerRecord {
  id: string;
  sandboxId: string;
  name: string;
  image: string;
  attempt: number;
  logPath: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
  message?: string;
  /** The process group of the supervisor (and the container). */
  pgid?: number;
  cgroupPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
}

interface Container {
  record: ContainerRecord;
  dir: string;
  config?: ContainerConfig;
  cgroup?: ContainerCgroup;
  stopping?: boolean;
  /** Its output on the way to the log, while it runs. */
  output?: ContainerOutput;
  /** Stdin's write end (containers with spec.stdin). */
  stdinFd?: number;
  attached: Set<OutputListener>;
  exited?: Promise<void>;
  markExited?: () => void;
}

export class ProcessRuntime extends ContainerEvents implements Runtime {
  readonly name = 'process';
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, Container>();
  private readonly supervisor: string;
  /** Set once the agent stops: nothing starts any more. */
  private closed = false;
  /** Set when the agent stopped and left the containers to the next one: this runtime no longer touches them. */
  private detached = false;
  /** Namespaces and cgroups (root), or plain processes. */
  readonly isolated: boolean;
  private readonly cgroups: CgroupVersion | undefined;
  private readonly network: BridgeNetwork | undefined;

  constructor(private readonly options: ProcessRuntimeOptions) {
    super();
    this.supervisor = installSupervisor(options.stateDir);
    this.isolated = options.isolation !== 'none' && canIsolate();
    this.cgroups = this.isolated ? detectCgroups() : undefined;
    this.network = this.isolated ? new BridgeNetwork(options.podCIDR ?? '10.42.0.0/24') : undefined;
  }

  /** What this runtime can do here, in words for the node's event. */
  describeIsolation(): string | undefined {
    if (this.isolated) return undefined;
    if (this.options.isolation === 'none') return 'isolation is off (--isolation none): containers run as plain processes on the host network';
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      return 'not running as root: containers run as plain processes on the host network, without namespaces or cgroup limits';
    }
    return 'this machine does not let skiff create namespaces (or lacks ip, nsenter, unshare or mount): containers run as plain processes on the host network';
  }

  /**
   * Sets up the node's bridge ahead of the first pod and returns its
   * address (where node services such as the cluster DNS listen for pods);
   * undefined without isolation.
   */
  async prepareNetwork(): Promise<{ address: string; bridge: string } | undefined> {
    if (!this.network) return undefined;
    await this.network.ensureBridge();
    return { address: this.network.gateway, bridge: this.network.bridge };
  }

  private get sandboxDir(): string {
    return join(this.options.stateDir, 'sandboxes');
  }

  private get containerDir(): string {
    return join(this.options.stateDir, 'containers');
  }

  private saveSandbox(sandbox: SandboxRecord): void {
    mkdirSync(join(this.sandboxDir, sandbox.id), { recursive: true });
    writeFileSync(join(this.sandboxDir, sandbox.id, 'sandbox.json'), JSON.stringify(sandbox));
  }

  private saveContainer(container: Container): void {
    writeFileSync(join(container.dir, 'container.json'), JSON.stringify(container.record));
  }

  /**
   * Finds the sandboxes and containers an earlier agent left: running ones
   * are adopted (their output read again, their exit watched), ended ones
   * report how they ended. A sandbox whose namespaces are gone (a reboot)
   * is not ready: its pod gets a new one.
   */
  async recover(): Promise<void> {
    for (const id of existsSync(this.sandboxDir) ? readdirSync(this.sandboxDir) : []) {
      try {
        const sandbox = JSON.parse(readFileSync(join(this.sandboxDir, id, 'sandbox.json'), 'utf8')) as SandboxRecord;
        sandbox.createdAt = new Date(sandbox.createdAt);
        if (sandbox.pausePid && !alive(sandbox.pausePid)) sandbox.state = 'notready';
        if (sandbox.network) this.network?.reserve(sandbox.network.ip);
        this.sandboxes.set(sandbox.id, sandbox);
      } catch {
        rmSync(join(this.sandboxDir, id), { recursive: true, force: true });
      }
    }
    // Pod namespaces on the bridge that no sandbox here records: nothing would ever remove them otherwise.
    await this.network?.removeStrays([...this.sandboxes.values()].flatMap((s) => (s.network ? [s.network.netns] : [])));
    for (const id of existsSync(this.containerDir) ? readdirSync(this.containerDir) : []) {
      const dir = join(this.containerDir, id);
      let record: ContainerRecord;
      try {
        record = JSON.parse(readFileSync(join(dir, 'container.json'), 'utf8')) as ContainerRecord;
      } catch {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (!this.sandboxes.has(record.sandboxId)) {
        if (alive(record.pgid)) process.kill(-record.pgid!, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const container: Container = { record, dir, attached: new Set() };
      if (record.cgroupPath && this.cgroups) container.cgroup = new ContainerCgroup(this.cgroups, record.cgroupPath);
      this.containers.set(id, container);
      if (record.startedAt && record.exitCode === undefined) {
        if (alive(record.pgid)) {
          this.follow(container);
          void this.untilGroupGone(container);
        }
        else this.finish(container);
      }
    }
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<PodSandbox> {
    const existing = [...this.sandboxes.values()].find((s) => s.podUid === config.uid && s.state === 'ready');
    if (existing) return existing;
    const id = randomUUID();
    const hostname = (config.hostname ?? config.name).slice(0, 63);
    const sandbox: SandboxRecord = {
      id,
      podUid: config.uid,
      namespace: config.namespace,
      name: config.name,
      hostname,
      hostNetwork: config.hostNetwork ?? false,
      ip: this.options.hostIP,
      createdAt: new Date(),
      state: 'ready',
    };
    const dir = join(this.sandboxDir, id);
    mkdirSync(dir, { recursive: true });
    if (this.isolated && !sandbox.hostNetwork) {
      sandbox.network = await this.network!.setUp(id);
      sandbox.ip = sandbox.network.ip;
      // The pause process: holds the pod's hostname and IPC namespace for its containers to join.
      const pause = spawn(
        'nsenter',
        [`--net=/run/netns/${sandbox.network.netns}`, '--', 'unshare', '--uts', '--ipc', '--', 'sh', '-c', 'echo "$1" > /proc/sys/kernel/hostname && exec sleep infinity', 'pause', hostname],
        { detached: true, stdio: 'ignore' },
      );
      pause.unref();
      sandbox.pausePid = pause.pid;
    }
    // The pod's own /etc files (bind-mounted over the machine's when isolated).
    writePodFiles(dir, sandbox, config);
    this.saveSandbox(sandbox);
    this.sandboxes.set(id, sandbox);
    return sandbox;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await Promise.all([...this.containers.values()].filter((c) => c.record.sandboxId === id && this.running(c)).map((c) => this.stopContainer(c.record.id, 0)));
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return;
    if (sandbox.pausePid && alive(sandbox.pausePid)) process.kill(-sandbox.pausePid, 'SIGKILL');
    sandbox.state = 'notready';
    this.saveSandbox(sandbox);
  }

  async removePodSandbox(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (sandbox?.state === 'ready') await this.stopPodSandbox(id);
    for (const [containerId, container] of this.containers) if (container.record.sandboxId === id) await this.removeContainer(containerId).catch(() => {});
    if (sandbox?.network) await this.network?.tearDown(sandbox.network);
    rmSync(join(this.sandboxDir, id), { recursive: true, force: true });
    this.sandboxes.delete(id);
  }

  async listPodSandboxes(): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()].map((s) => ({ id: s.id, podUid: s.podUid, ip: s.ip, createdAt: s.createdAt, state: s.state }));
  }

  /** The log file of one attempt of a container, in upstream's layout. */
  private logPathFor(sandbox: SandboxRecord, container: string, attempt: number): string {
    return join(this.options.logDir, 'pods', `${sandbox.namespace}_${sandbox.name}_${sandbox.podUid}`, container, `${attempt}.log`);
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const sandbox = this.sandboxes.get(sandboxId);
    if (!sandbox) throw new Error(`sandbox ${sandboxId} not found`);
    const id = randomUUID();
    const earlier = [...this.containers.values()].filter((c) => c.record.sandboxId === sandboxId && c.record.name === config.name);
    const attempt = earlier.length ? Math.max(...earlier.map((c) => c.record.attempt)) + 1 : 0;
    const dir = join(this.containerDir, id);
    mkdirSync(dir, { recursive: true });
    const record: ContainerRecord = {
      id,
      sandboxId,
      name: config.name,
      image: config.image,
      attempt,
      logPath: config.logPath ?? this.logPathFor(sandbox, config.name, attempt),
      createdAt: new Date().toISOString(),
      stdin: config.stdin,
      stdinOnce: config.stdinOnce,
    };
    const container: Container = { record, dir, config, attached: new Set() };
    this.saveContainer(container);
    this.containers.set(id, container);
    return id;
  }

  private running(container: Container): boolean {
    return container.record.startedAt !== undefined && container.record.exitCode === undefined;
  }

  /** Marks a container that never ran as ended, with why. */
  private cannotRun(container: Container, reason: string, message: string): void {
    const now = new Date().toISOString();
    Object.assign(container.record, { startedAt: now, finishedAt: now, exitCode: 128, reason, message });
    this.saveContainer(container);
    this.emit(container.record.sandboxId, this.status(container));
  }

  async startContainer(id: string): Promise<void> {
    const container = this.containers.get(id);
    if (!container?.config) throw new Error(`container ${id} not found`);
    if (this.closed) throw new Error('the runtime is shutting down');
    const config = container.config;
    const sandbox = this.sandboxes.get(container.record.sandboxId)!;
    const argv = [...(config.command ?? []), ...(config.args ?? [])];
    if (!argv.length) {
      // No image support: without a command there is nothing to run — say so clearly.
      return this.cannotRun(container, 'ContainerCannotRun', `the process runtime runs a container's command; container "${config.name}" (image ${config.image}) has none`);
    }
    const env = { PATH: defaultPath, HOSTNAME: sandbox.hostname, ...config.env };
    if (!findExecutable(argv[0], env.PATH)) {
      return this.cannotRun(container, 'StartError', `exec: "${argv[0]}": executable file not found in $PATH`);
    }
    // Its own PID namespace (it is the init there), or the one of the container it targets.
    const targetInit = this.isolated && config.pidNamespaceOf ? this.pidNamespaceInit(config.pidNamespaceOf) : undefined;
    if (this.isolated && config.pidNamespaceOf && !targetInit) {
      return this.cannotRun(container, 'StartError', `the target container's process namespace is gone (container ${config.pidNamespaceOf} is not running)`);
    }
    const { dir, record } = container;
    // Limits, mounts and the working directory, for the supervisor to apply.
    if (this.cgroups) {
      record.cgroupPath = `skiff/${sandbox.podUid}/${id}`;
      container.cgroup = new ContainerCgroup(this.cgroups, record.cgroupPath);
      container.cgroup.create({ memoryBytes: config.memoryLimit, milliCPU: config.milliCPULimit });
    }
    writeFileSync(join(dir, 'cgroups'), (container.cgroup?.procsFiles() ?? []).map((f) => `${f}\n`).join(''));
    const sandboxDir = join(this.sandboxDir, sandbox.id);
    const mounts = this.isolated
      ? [
          ...(sandbox.hostNetwork ? [] : [{ hostPath: join(sandboxDir, 'hosts'), containerPath: '/etc/hosts' }, { hostPath: join(sandboxDir, 'hostname'), containerPath: '/etc/hostname' }]),
          { hostPath: join(sandboxDir, 'resolv.conf'), containerPath: '/etc/resolv.conf' },
          ...(config.mounts ?? []),
        ]
      : [];
    writeFileSync(join(dir, 'mounts'), mounts.map((m) => `${m.hostPath}\t${m.containerPath}\t${m.readOnly ? 'ro' : 'rw'}\n`).join(''));
    writeFileSync(join(dir, 'workdir'), config.workingDir || '/');
    await run('mkfifo', [join(dir, 'stdout'), join(dir, 'stderr'), ...(config.stdin ? [join(dir, 'stdin')] : [])]);
    if (config.stdin && config.stdinOnce) writeFileSync(join(dir, 'stdin-once'), '');
    if (config.tty) writeFileSync(join(dir, 'tty'), '');
    mkdirSync(dirname(record.logPath), { recursive: true });
    this.openOutputs(container);
    if (config.stdin) container.stdinFd = openSync(join(dir, 'stdin'), constants.O_RDWR | constants.O_NONBLOCK);

    const supervise = ['bash', this.supervisor, dir, ...argv];
    const ownNamespaces = ['unshare', '--mount', '--pid', '--fork', '--mount-proc', '--'];
    let command = !this.isolated
      ? supervise
      : sandbox.hostNetwork
        ? [...ownNamespaces, ...supervise]
        : ['nsenter', '-t', String(sandbox.pausePid), '--net', '--uts', '--ipc', '--', ...ownNamespaces, ...supervise];
    if (targetInit) {
      // The pod's network, hostname and IPC, the target's PID namespace (nsenter forks after entering
      // it, so what it runs is inside), and a mount namespace of its own with that /proc.
      const pause = sandbox.hostNetwork ? [] : [`--net=/proc/${sandbox.pausePid}/ns/net`, `--uts=/proc/${sandbox.pausePid}/ns/uts`, `--ipc=/proc/${sandbox.pausePid}/ns/ipc`];
      command = ['nsenter', ...pause, `--pid=/proc/${targetInit}/ns/pid`, '--', 'unshare', '--mount', '--mount-proc', '--', ...supervise];
    }
    const child = spawn(command[0], command.slice(1), { env, detached: true, stdio: 'ignore' });
    child.unref();
    record.pgid = child.pid;
    record.startedAt = new Date().toISOString();
    this.saveContainer(container);
    this.watchExit(container);
    child.on('error', (err) => {
      record.message = err.message;
      container.markExited?.();
    });
    // The process we started may end before the container does (as root it is `unshare`, which
    // the container's init outlives): the container has ended when its whole process group has.
    child.on('exit', () => void this.untilGroupGone(container));
    this.emit(record.sandboxId, this.status(container));
  }

  /** The host PID of the init of a running container's PID namespace (isolated containers). */
  private pidNamespaceInit(id: string): number | undefined {
    const target = this.containers.get(id);
    if (!target || !this.running(target) || !target.record.pgid) return undefined;
    return namespaceInit(target.record.pgid);
  }

  /** Starts copying the container's output into its log. */
  private openOutputs(container: Container): void {
    const limits = { maxBytes: this.options.logMaxBytes ?? 10 * 1024 * 1024, maxFiles: this.options.logMaxFiles ?? 5 };
    container.output = new ContainerOutput(container.dir, container.record.logPath, limits, container.attached);
  }

  /** A promise for the container's end, settled by markExited (exit event, or the poll for adopted ones). */
  private watchExit(container: Container): void {
    container.exited = new Promise((resolve) => {
      container.markExited = () => {
        container.markExited = undefined;
        this.finish(container);
        resolve();
      };
    });
  }

  /** Reads an adopted container's output again and watches for its end. */
  private follow(container: Container): void {
    mkdirSync(dirname(container.record.logPath), { recursive: true });
    try {
      this.openOutputs(container);
      if (container.record.stdin) container.stdinFd = openSync(join(container.dir, 'stdin'), constants.O_RDWR | constants.O_NONBLOCK);
    } catch {
      /* FIFOs gone: only the exit is watched */
    }
    this.watchExit(container);
  }

  /** The container ended: the last output into the log, then its exit code and reason, from the supervisor's files. */
  private finish(container: Container): void {
    const { record, dir } = container;
    if (record.exitCode !== undefined) return;
    container.output?.drain();
    container.output = undefined;
    this.release(container);
    let exitCode = 137;
    try {
      exitCode = Number(readFileSync(join(dir, 'exit'), 'utf8').trim());
    } catch {
      /* killed with the supervisor (SIGKILL): no exit file */
    }
    let reason = exitCode === 0 ? 'Completed' : 'Error';
    let message: string | undefined;
    if (container.cgroup?.oomKilled()) reason = 'OOMKilled';
    if (exitCode === 125) {
      reason = 'StartError';
      message = readText(join(dir, 'supervisor.log')) || record.message || 'the container could not be set up';
    }
    Object.assign(record, { finishedAt: new Date().toISOString(), exitCode, reason, ...(message ? { message } : {}) });
    this.saveContainer(container);
    this.emit(record.sandboxId, this.status(container));
  }

  attach(id: string, output: (stream: 'stdout' | 'stderr', data: Buffer) => void): AttachedContainer | undefined {
    const container = this.containers.get(id);
    if (!container || !this.running(container) || !container.exited) return undefined;
    container.attached.add(output);
    const stdinFd = container.stdinFd;
    return {
      writeStdin: stdinFd !== undefined ? (data) => writeAll(stdinFd, data) : undefined,
      closeStdin:
        stdinFd !== undefined && container.record.stdinOnce
          ? () =>
              void this.untilReady(container).then(() => {
                if (container.stdinFd !== undefined) closeSync(container.stdinFd);
                container.stdinFd = undefined;
              })
          : undefined,
      detach: () => container.attached.delete(output),
      ...(existsSync(join(container.dir, 'tty')) ? { terminalPid: container.record.pgid } : {}),
      exited: container.exited.then(() => container.record.exitCode ?? 0),
    };
  }

  /**
   * How to run a command inside a running container (kubectl exec): in its
   * namespaces when isolated, beside it otherwise.
   */
  execCommand(id: string, command: string[]): string[] | undefined {
    const container = this.containers.get(id);
    if (!container || !this.running(container)) return undefined;
    if (!this.isolated) return command;
    const init = namespaceInit(container.record.pgid!);
    if (!init) return undefined;
    return ['nsenter', '-t', String(init), '--net', '--uts', '--ipc', '--mount', '--pid', '--', ...command];
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const container = this.containers.get(id);
    if (!container || !this.running(container) || this.detached) return;
    const pgid = container.record.pgid!;
    container.stopping = true;
    // A supervisor that has just been started may not listen for SIGTERM yet: wait (briefly) until it does.
    await this.untilReady(container);
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-pgid, name);
      } catch {
        /* already gone */
      }
    };
    signal('SIGTERM');
    const killer = setTimeout(() => signal('SIGKILL'), Math.max(0, timeoutSeconds) * 1000);
    await container.exited;
    clearTimeout(killer);
  }

  /** Watches for the end of a container's process group (checked with signal 0, more rarely as time goes on). */
  private async untilGroupGone(container: Container): Promise<void> {
    for (let delay = 2; alive(container.record.pgid) && container.markExited && !this.detached; delay = Math.min(delay * 2, 250)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    if (this.detached) return;
    container.markExited?.();
  }

  /** Waits (at most 2 s) until the supervisor has set itself up — see `ready` in supervisor.ts. */
  private async untilReady(container: Container): Promise<void> {
    for (let waited = 0; waited < 2000 && !existsSync(join(container.dir, 'ready')) && alive(container.record.pgid); waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async removeContainer(id: string): Promise<void> {
    const container = this.containers.get(id);
    if (!container) return;
    if (this.running(container)) await this.stopContainer(id, 0);
    container.cgroup?.remove();
    rmSync(container.dir, { recursive: true, force: true });
    this.containers.delete(id);
  }

  private status(container: Container): ContainerStatus {
    const r = container.record;
    const state = r.exitCode !== undefined ? 'exited' : r.startedAt ? 'running' : 'created';
    return {
      id: r.id,
      name: r.name,
      image: r.image,
      attempt: r.attempt,
      state,
      createdAt: new Date(r.createdAt),
      ...(r.startedAt ? { startedAt: new Date(r.startedAt) } : {}),
      ...(r.finishedAt ? { finishedAt: new Date(r.finishedAt) } : {}),
      ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.message ? { message: r.message } : {}),
      logPath: r.logPath,
    };
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const container = this.containers.get(id);
    return container ? this.status(container) : undefined;
  }

  async listContainers(sandboxId: string): Promise<ContainerStatus[]> {
    return [...this.containers.values()].filter((c) => c.record.sandboxId === sandboxId).map((c) => this.status(c));
  }

  /** Memory and cpu a container uses, from its cgroup (isolated containers only). */
  async containerStats(id: string): Promise<{ memoryBytes: number; cpuNanos: number } | undefined> {
    return this.containers.get(id)?.cgroup?.usage();
  }

  /** Stops every container (agent shutdown in tests). */
  async stopAll(graceSeconds = 0): Promise<void> {
    await Promise.all([...this.containers.keys()].map((id) => this.stopContainer(id, graceSeconds)));
  }

  /**
   * The agent is stopping. With stopOnShutdown (`skiff up`), the pods stop
   * with it (SIGTERM, SIGKILL after 5 s) and their sandboxes go; otherwise
   * the supervisors keep the containers running and the next agent adopts
   * them.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    if (this.options.stopOnShutdown) {
      await this.stopAll(5);
      for (const id of [...this.sandboxes.keys()]) await this.removePodSandbox(id).catch(() => {});
      await this.network?.remove();
      return;
    }
    this.detached = true;
    for (const container of this.containers.values()) {
      container.output?.close();
      container.output = undefined;
      container.markExited = undefined;
      this.release(container);
    }
  }

  /** Closes what this runtime holds of a container's stdin. */
  private release(container: Container): void {
    closeQuietly(container.stdinFd);
    container.stdinFd = undefined;
  }
}

