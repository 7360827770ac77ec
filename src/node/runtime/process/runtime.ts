/**
 * The process runtime: each container's `command` + `args` runs as a
 * process on this machine (the image name is only recorded). The work of
 * making processes is done by skiff-shim (shim/README.md), a small native
 * helper, so the agent forks nothing per pod:
 *
 *   agent ──requests──▶ node helper (one per node) ──forks──▶ pod shim (one per pod)
 *   agent ──"start" into the pod's control FIFO──▶ pod shim ──clones──▶ container
 *   pod shims ──"started"/"exited" into the node's events FIFO──▶ agent
 *
 * A pod shim is its pod's sandbox: as root it holds the pod's network
 * (an IP on the node's bridge, network.ts), UTS (hostname) and IPC
 * namespaces, and each container gets a mount and a PID namespace of its
 * own (its command is PID 1 there, as with runc), with the pod's /etc/hosts,
 * /etc/hostname, /etc/resolv.conf and volumes bind-mounted, and cgroup
 * limits (cgroups.ts).
 * As an ordinary user, where the kernel allows it: rootless — each pod shim
 * in a user namespace of its own (the user is root there, alone), the
 * containers' mount and PID namespaces and images as with root, on the host
 * network, without cgroups. Otherwise: plain processes on the host network.
 *
 * Pod shims are not the agent's children and outlive it: a container keeps
 * running when the agent stops or dies, its exit is recorded by its shim,
 * and the next agent finds ("adopts") it through the state directory.
 *
 * Output: a container writes its stdout and stderr into two FIFOs of its
 * state directory; the runtime reads them into CRI-format log files
 * (output.ts, cri-log.ts).
 */
import { randomUUID } from 'node:crypto';
import { constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { namespaceOfSysctl, normalizeSysctlName } from '../../sysctls.js';
import { dirname, join } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import type { AttachedContainer, ContainerConfig, ContainerStatus, ExecOptions, ExecProcess, PodSandbox, PodSandboxConfig, Runtime, TerminalSize } from '../runtime.js';
import { startExec } from './exec-process.js';
import { openShimPortForward } from './port-forward.js';
import { containerCapabilities } from './security.js';
import { compileSeccomp, readLocalhostProfile, runtimeDefaultProfile, SeccompProfileError, syscallTable, type SeccompProfile } from './seccomp.js';
import { ContainerEvents } from '../events.js';
import { closeQuietly, ContainerOutput } from './output.js';
import type { LocalImageService } from '../../images/image-service.js';
import { ContainerCgroup, detectCgroups, type CgroupVersion } from './cgroups.js';
import { ContainerConfigError } from './image-process.js';
import { imageContainerSpec } from './image-rootfs.js';
import { BridgeNetwork } from './network.js';
import { alive, canIsolate, canIsolateRootless, defaultPath, findExecutable, isPodShim, readText, writeAll } from './host.js';
import { writePodFiles } from './pod-files.js';
import { writeContainerSpec } from './container-spec.js';
import { containerStatusOf, endOf, saveRecord, type Container, type ContainerRecord, type SandboxRecord } from './records.js';
import { NodeHelper, shimBinary, ShimControl, ShimEventReader, type Isolation } from './shim-client.js';

export { canIsolate } from './host.js';

/** The cgroup (under each controller) of the node's pod shims; containers get `skiff/<pod uid>/<container id>`. */
export const podShimsCgroup = 'skiff/pod-shims';

export interface ProcessRuntimeOptions {
  /** Where container logs go: `<logDir>/pods/<ns>_<pod>_<uid>/<container>/<n>.log`. */
  logDir: string;
  /** Where sandboxes and containers are recorded, so a restarted agent finds them (in memory for `skiff up`: state-dir.ts). */
  stateDir: string;
  /**
   * Where containers' writable layers go (`<snapshotDir>/<container id>/`:
   * their overlays' upper and work dirs), when not in their dirs in
   * stateDir: on disk, when stateDir is in memory.
   */
  snapshotDir?: string;
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
  /**
   * The node's images: with them (and isolation), containers run in their
   * image's root file system, except in pods of the RuntimeClass handler
   * `host`. Without them, every container runs its command on the node's.
   */
  images?: LocalImageService;
  /** Where Localhost seccomp profiles are (as the kubelet's /var/lib/kubelet/seccomp): DIR/seccomp under skiff up. */
  seccompProfileRoot?: string;
}

/**
 * A container's spec for a rootless pod, whose user namespace maps root
 * alone (the node's user): root stays root (no change of user — nor of
 * groups, which such a namespace forbids); any other user cannot be, and
 * says so.
 */
function rootlessSpec<T extends { user?: { uid: number; gid: number; groups: number[] } }>(spec: T): T {
  const user = spec.user;
  if (!user || (user.uid === 0 && user.gid === 0)) return { ...spec, user: undefined };
  throw new ContainerConfigError(
    `this node runs rootless, where a pod's user namespace has root alone (the node's user); the container would run as uid ${user.uid}, gid ${user.gid} — run skiff as root, or the container as root (runAsUser: 0, runAsGroup: 0)`,
  );
}

export class ProcessRuntime extends ContainerEvents implements Runtime {
  readonly name = 'process';
  // Profiles are not applied here (nor seccomp): a pod that asks for AppArmor is held back rather than run unconfined.
  readonly capabilities = { machine: true, appArmorUnavailable: "skiff's process runtime does not apply AppArmor profiles (use --runtime containerd on a host with AppArmor)" };
  /** The images containers run from (isolated nodes with an image service only). */
  readonly images: LocalImageService | undefined;
  /** Set when given images but unable to isolate: what pods not of the RuntimeClass host are told. */
  readonly imageRefusal: string | undefined;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, Container>();
  private readonly helper: NodeHelper;
  private helperReady: Promise<void> | undefined;
  private events: ShimEventReader | undefined;
  /** Each ready sandbox's control FIFO, opened on first use. */
  private readonly controls = new Map<string, ShimControl>();
  /** Looks for ends the events missed (see checkEnds). */
  private readonly endCheck: NodeJS.Timeout;
  /** Set once the agent stops: nothing starts any more. */
  private closed = false;
  /** Set when the agent stopped and left the containers to the next one: this runtime no longer touches them. */
  private detached = false;
  /** Namespaces, cgroups and a pod network (root); or not. */
  readonly isolated: boolean;
  /** How pods are isolated: by root; rootless, in a user namespace of the node's user (no cgroups, the node's network); or not at all. */
  readonly isolation: Isolation;
  private readonly cgroups: CgroupVersion | undefined;
  private readonly network: BridgeNetwork | undefined;
  private readonly shimBinary: string;
  /** Every container being stopped, once the agent began to stop (beginShutdown). */
  private stoppingAll: Promise<void> | undefined;

  constructor(private readonly options: ProcessRuntimeOptions) {
    super();
    if (/[\t\n]/.test(options.stateDir)) throw new Error(`the runtime's state directory ${JSON.stringify(options.stateDir)} has a tab or newline in its path`);
    mkdirSync(options.stateDir, { recursive: true });
    const binary = shimBinary();
    this.shimBinary = binary ?? '';
    if (!binary) throw new Error('skiff-shim, the process runtime\'s native helper, was not found beside skiff: build it with `npm run build` (it needs a C compiler), or name it with SKIFF_SHIM');
    this.isolated = options.isolation !== 'none' && canIsolate();
    this.isolation = this.isolated ? 'root' : options.isolation !== 'none' && canIsolateRootless() ? 'rootless' : 'none';
    this.cgroups = this.isolated ? detectCgroups() : undefined;
    // One cgroup for every pod shim of the node, joined by the helper at its start: the shims it
    // forks are born in it (no cgroup to make, join and remove per pod), out of the agent's, so a
    // service manager that stops the agent by killing its whole cgroup (systemd's
    // KillMode=control-group) leaves the pods running.
    const shimCgroup = this.cgroups ? new ContainerCgroup(this.cgroups, podShimsCgroup) : undefined;
    shimCgroup?.create({});
    this.helper = new NodeHelper(binary, options.stateDir, shimCgroup?.procsFiles() ?? []);
    this.endCheck = setInterval(() => this.checkEnds(), 5000);
    this.endCheck.unref();
    this.network = this.isolated ? new BridgeNetwork(options.podCIDR ?? '10.42.0.0/24') : undefined;
    this.images = this.isolation !== 'none' ? options.images : undefined;
    this.imageRefusal =
      options.images && this.isolation === 'none'
        ? `this node cannot run a container in its image (${this.describeIsolation()}); a pod with runtimeClassName: host runs its command on the node's own file system instead`
        : undefined;
  }

  /** Containers get mount and PID namespaces of their own (root or rootless): bind mounts, an image's root, nested PIDs. */
  private get ownMounts(): boolean {
    return this.isolation !== 'none';
  }

  /** What this runtime can do here, in words for the node's event. */
  describeIsolation(): string | undefined {
    if (this.isolated) return undefined;
    if (this.isolation === 'rootless') {
      return "rootless: not running as root, pods run in a user namespace of their own where the node's user is root (and no other user exists), on the host network, without cgroup limits";
    }
    if (this.options.isolation === 'none') return 'isolation is off (--isolation none): containers run as plain processes on the host network';
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      return 'not running as root, and the kernel lets no ordinary user make a user namespace with an overlay in it: containers run as plain processes on the host network, without namespaces or cgroup limits';
    }
    return 'this machine does not let skiff create namespaces (or lacks ip or unshare): containers run as plain processes on the host network';
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
    saveRecord(join(this.sandboxDir, sandbox.id, 'sandbox.json'), sandbox);
  }

  private saveContainer(container: Container): void {
    saveRecord(join(container.dir, 'container.json'), container.record);
  }

  /** The node helper runs and the events FIFO is read (once; again after the helper ended). */
  private ensureHelper(): Promise<void> {
    this.helperReady ??= this.helper.ready().then(
      () => {
        if (this.events) return;
        this.events = new ShimEventReader(join(this.options.stateDir, 'events'));
        this.events.on('started', (id, pid) => this.containers.get(id)?.markStarted?.(pid));
        this.events.on('exited', (id) => this.containers.get(id)?.markExited?.());
      },
      (err: Error) => {
        this.helperReady = undefined;
        throw err;
      },
    );
    return this.helperReady;
  }

  /**
   * Finds the sandboxes and containers an earlier agent left: running ones
   * are adopted (their output read again, their exit watched), ended ones
   * report how they ended. A sandbox whose shim is gone (a reboot, a kill)
   * is not ready: its pod gets a new one. A shim whose sandbox was never
   * recorded (the agent ended in between) is killed, its veth deleted.
   */
  async recover(): Promise<void> {
    await this.ensureHelper();
    for (const id of existsSync(this.sandboxDir) ? readdirSync(this.sandboxDir) : []) {
      const dir = join(this.sandboxDir, id);
      try {
        const sandbox = JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8')) as SandboxRecord;
        sandbox.createdAt = new Date(sandbox.createdAt);
        if (sandbox.state === 'ready' && !isPodShim(sandbox.shimPid)) sandbox.state = 'notready';
        if (sandbox.network) this.network?.reserve(sandbox.network.ip);
        this.sandboxes.set(sandbox.id, sandbox);
      } catch {
        const shimPid = Number(readText(join(dir, 'shim.pid'))) || undefined;
        await this.helper.tearDown(id, isPodShim(shimPid) ? shimPid : undefined, undefined).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // Pod veths on the bridge that no sandbox here records: nothing would ever remove them otherwise.
    await this.network?.removeStrays([...this.sandboxes.values()].flatMap((s) => (s.network ? [s.network.veth] : [])));
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
      // The PID its shim wrote, if the agent ended before recording it.
      if (record.startedAt && !record.pgid) record.pgid = Number(readText(join(dir, 'pid'))) || undefined;
      if (record.startedAt && record.exitCode === undefined) {
        container.adopted = true;
        this.follow(container);
        if (existsSync(join(dir, 'exit')) || !alive(record.pgid)) container.markExited?.();
      }
    }
    // Writable layers of containers no record names any more (a reboot emptied the in-memory state): nothing else would remove them.
    const snapshots = this.options.snapshotDir;
    for (const id of snapshots && existsSync(snapshots) ? readdirSync(snapshots) : []) {
      if (!this.containers.has(id)) rmSync(join(snapshots!, id), { recursive: true, force: true });
    }
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<PodSandbox> {
    const existing = [...this.sandboxes.values()].find((s) => s.podUid === config.uid && s.state === 'ready');
    if (existing) return existing;
    if (this.closed) throw new Error('the runtime is shutting down');
    await this.ensureHelper();
    const id = randomUUID();
    const hostname = (config.hostname ?? config.name).slice(0, 63);
    const hostNetwork = config.hostNetwork ?? false;
    if (this.network && !hostNetwork) await this.network.ensureBridge();
    const plan = this.network && !hostNetwork ? this.network.plan(id) : undefined;
    const sandbox: SandboxRecord = {
      id,
      podUid: config.uid,
      namespace: config.namespace,
      name: config.name,
      hostname,
      hostNetwork,
      ip: plan?.ip ?? this.options.hostIP,
      createdAt: new Date(),
      state: 'ready',
      ...(plan ? { network: { veth: plan.veth, ip: plan.ip } } : {}),
      ...(config.runtimeHandler ? { runtimeHandler: config.runtimeHandler } : {}),
    };
    const sysctls = Object.entries(config.sysctls ?? {});
    const refusal = sysctls.length ? sysctlRefusal(sysctls, { isolation: this.isolation, ownNetwork: !!plan }) : undefined;
    if (refusal) throw new Error(`failed to create the pod sandbox: ${refusal}`);
    const dir = join(this.sandboxDir, id);
    mkdirSync(dir, { recursive: true });
    // The pod's own /etc files (bind-mounted over the machine's when isolated).
    writePodFiles(dir, sandbox, config);
    // The pod shim sets them in the pod's namespaces before it answers (shim/pod.c).
    if (sysctls.length) writeFileSync(join(dir, 'sysctls'), sysctls.map(([name, value]) => `${name}\t${value}\n`).join(''));
    try {
      sandbox.shimPid = await this.helper.createSandbox({ id, dir, hostname, isolation: this.isolation, network: plan });
    } catch (err) {
      // A helper that ended half-way may have left the shim running (and with it the pod's namespace and veth).
      const shimPid = Number(readText(join(dir, 'shim.pid'))) || undefined;
      if (isPodShim(shimPid)) process.kill(shimPid, 'SIGKILL');
      if (plan) this.network?.release(plan.ip);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`failed to create the pod sandbox: ${(err as Error).message}`);
    }
    this.saveSandbox(sandbox);
    this.sandboxes.set(id, sandbox);
    return sandbox;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await Promise.all([...this.containers.values()].filter((c) => c.record.sandboxId === id && this.running(c)).map((c) => this.stopContainer(c.record.id, 0)));
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return;
    this.controls.get(id)?.close();
    this.controls.delete(id);
    if (sandbox.state === 'ready' || sandbox.network) {
      await this.helper.tearDown(id, isPodShim(sandbox.shimPid) ? sandbox.shimPid : undefined, sandbox.network?.veth);
    }
    sandbox.state = 'notready';
    this.saveSandbox(sandbox);
  }

  async removePodSandbox(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (sandbox) await this.stopPodSandbox(id);
    for (const [containerId, container] of this.containers) if (container.record.sandboxId === id) await this.removeContainer(containerId).catch(() => {});
    if (sandbox?.network) this.network?.release(sandbox.network.ip);
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
      tty: config.tty,
    };
    // A profile that cannot be applied is the container's CreateContainerError, as runc's refusal is under containerd.
    const seccomp = this.seccompFilter(config);
    const container: Container = { record, dir, config, attached: new Set(), ...(seccomp ? { seccomp } : {}) };
    this.saveContainer(container);
    this.containers.set(id, container);
    return id;
  }

  /**
   * The container's seccomp filter (seccomp.ts), hex for its spec; none
   * when the profile is Unconfined or unset (the kubelet's default), or the
   * container is privileged (upstream runs those unconfined).
   */
  private seccompFilter(config: ContainerConfig): string | undefined {
    const security = config.security ?? {};
    const profile = security.seccompProfile;
    if (!profile || profile.type === 'Unconfined' || security.privileged) return undefined;
    let compiled: SeccompProfile;
    if (profile.type === 'RuntimeDefault') compiled = runtimeDefaultProfile(containerCapabilities(security));
    else if (profile.type === 'Localhost') {
      if (!profile.localhostProfile) throw new SeccompProfileError('localhostProfile must be set if seccompProfile type is Localhost.');
      if (!this.options.seccompProfileRoot) throw new SeccompProfileError(`seccomp profile "${profile.localhostProfile}": this node has no seccomp profile directory`);
      compiled = readLocalhostProfile(this.options.seccompProfileRoot, profile.localhostProfile);
    } else return undefined;
    return compileSeccomp(compiled, syscallTable(this.shimBinary)).toString('hex');
  }

  private running(container: Container): boolean {
    return container.record.startedAt !== undefined && container.record.exitCode === undefined;
  }

  /** Marks a container that never ran as ended, with why. */
  private cannotRun(container: Container, reason: string, message: string): void {
    const now = new Date().toISOString();
    Object.assign(container.record, { startedAt: now, finishedAt: now, exitCode: 128, reason, message });
    this.saveContainer(container);
    this.emit(container.record.sandboxId, containerStatusOf(container.record));
  }

  async startContainer(id: string): Promise<void> {
    const container = this.containers.get(id);
    if (!container?.config) throw new Error(`container ${id} not found`);
    if (this.closed) throw new Error('the runtime is shutting down');
    const config = container.config;
    const sandbox = this.sandboxes.get(container.record.sandboxId)!;
    const fromImage = this.images && sandbox.runtimeHandler !== 'host' ? await this.imageSpec(container) : undefined;
    if (this.images && sandbox.runtimeHandler !== 'host' && !fromImage) return;
    const argv = fromImage?.argv ?? [...(config.command ?? []), ...(config.args ?? [])];
    if (!argv.length) {
      // On the node's file system there is no image to take a command from — say so clearly.
      return this.cannotRun(container, 'ContainerCannotRun', `the process runtime runs a container's command on the node's file system (RuntimeClass host); container "${config.name}" (image ${config.image}) has none`);
    }
    // As containerd: HOSTNAME first, so the image or the pod may set it otherwise.
    const env: Record<string, string> = fromImage ? { HOSTNAME: sandbox.hostname, ...fromImage.env } : { PATH: defaultPath, HOSTNAME: sandbox.hostname, ...config.env };
    // In an image, the shim looks the command up in the image's PATH (and says so when it is not there).
    if (!fromImage && !findExecutable(argv[0], env.PATH)) {
      return this.cannotRun(container, 'StartError', `exec: "${argv[0]}": executable file not found in $PATH`);
    }
    // Its own PID namespace (it is the init there), or the one of the container it targets.
    const target = config.pidNamespaceOf ? this.containers.get(config.pidNamespaceOf) : undefined;
    if (config.pidNamespaceOf && !(target && this.running(target) && target.record.pgid)) {
      return this.cannotRun(container, 'StartError', `the target container's process namespace is gone (container ${config.pidNamespaceOf} is not running)`);
    }
    if (sandbox.state !== 'ready') return this.cannotRun(container, 'StartError', `the pod's sandbox ${sandbox.id} is not ready`);
    const { dir, record } = container;
    if (this.cgroups) {
      record.cgroupPath = `skiff/${sandbox.podUid}/${id}`;
      container.cgroup = new ContainerCgroup(this.cgroups, record.cgroupPath);
      container.cgroup.create({ memoryBytes: config.memoryLimit, milliCPU: config.milliCPULimit });
    }
    const sandboxDir = join(this.sandboxDir, sandbox.id);
    const mounts = this.ownMounts
      ? [
          ...(sandbox.hostNetwork ? [] : [{ hostPath: join(sandboxDir, 'hosts'), containerPath: '/etc/hosts' }, { hostPath: join(sandboxDir, 'hostname'), containerPath: '/etc/hostname' }]),
          { hostPath: join(sandboxDir, 'resolv.conf'), containerPath: '/etc/resolv.conf' },
          ...(config.mounts ?? []),
        ]
      : [];
    record.startedAt = new Date().toISOString();
    this.watchExit(container);
    this.watchStart(container);
    try {
      writeContainerSpec(dir, {
        ...fromImage,
        argv,
        env,
        workingDir: fromImage?.workingDir ?? (config.workingDir || '/'),
        cgroupProcs: container.cgroup?.procsFiles() ?? [],
        mounts,
        stdin: !config.stdin ? 'none' : config.stdinOnce ? 'once' : 'keep',
        tty: config.tty ?? false,
        ...(this.ownMounts && target ? { pidNamespaceOf: target.record.pgid } : {}),
        ...(container.seccomp ? { seccomp: container.seccomp } : {}),
        ...(config.oomScoreAdj !== undefined ? { oomScoreAdj: config.oomScoreAdj } : {}),
      });
      mkdirSync(dirname(record.logPath), { recursive: true });
      this.saveContainer(container);
    } catch (err) {
      record.message = `the container could not be set up: ${(err as Error).message}`;
      container.markExited?.();
      return;
    }
    try {
      await this.control(sandbox.id).send(['start', id, dir]);
    } catch (err) {
      record.message = `the pod's shim is gone: ${(err as Error).message}`;
      container.markExited?.();
      return;
    }
    await Promise.race([container.started, container.exited]);
    if (record.exitCode !== undefined || !record.pgid) return;
    this.openOutputs(container);
    this.saveContainer(container);
    if (config.stdin) {
      container.stdinFd = openSync(join(dir, 'stdin'), constants.O_RDWR | constants.O_NONBLOCK);
      // The shim held a writer so the container saw no end of input before ours was there.
      if (config.stdinOnce) await this.control(sandbox.id).send(['opened', id]).catch(() => {});
    }
    this.emit(record.sandboxId, containerStatusOf(container.record));
  }

  /** The image's part of a container's spec; undefined (and the container marked as unable to run) when it cannot be made. */
  private async imageSpec(container: Container): Promise<Awaited<ReturnType<typeof imageContainerSpec>> | undefined> {
    try {
      const spec = await imageContainerSpec(this.images!, container.config!, container.dir, this.writableDirOf(container.record.id));
      return this.isolation === 'rootless' ? rootlessSpec(spec) : spec;
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      this.cannotRun(container, 'CreateContainerError', err.message);
      return undefined;
    }
  }

  /** The pod shim's control FIFO. */
  private control(sandboxId: string): ShimControl {
    let control = this.controls.get(sandboxId);
    if (!control) this.controls.set(sandboxId, (control = new ShimControl(join(this.sandboxDir, sandboxId, 'control'))));
    return control;
  }

  /** A request whose failure changes nothing (the shim is gone, and with it what the request was about). */
  private sendQuietly(sandboxId: string, fields: string[]): void {
    this.control(sandboxId)
      .send(fields)
      .catch(() => {});
  }

  /** A promise for the shim's word that the container started, with its PID. */
  private watchStart(container: Container): void {
    container.started = new Promise((resolve) => {
      container.markStarted = (pid) => {
        container.markStarted = undefined;
        container.record.pgid = pid;
        resolve();
      };
    });
  }

  /**
   * A backstop for the events, every 5 s (what a shim says while no agent
   * reads may be dropped): a container starting whose PID file is there has
   * started; one whose shim is gone (killed) has ended once its process
   * group has; an adopted one whose exit file is there has ended.
   */
  private checkEnds(): void {
    if (this.detached) return;
    const shimAlive = new Map<string, boolean>();
    for (const container of this.containers.values()) {
      // A start whose event was lost: the shim wrote the PID beside it.
      if (container.markStarted) {
        const pid = Number(readText(join(container.dir, 'pid')));
        if (pid) container.markStarted(pid);
      }
      if (!container.markExited) continue;
      const sandboxId = container.record.sandboxId;
      if (!shimAlive.has(sandboxId)) shimAlive.set(sandboxId, isPodShim(this.sandboxes.get(sandboxId)?.shimPid));
      const shimGone = !shimAlive.get(sandboxId);
      if ((shimGone && !alive(container.record.pgid)) || (container.adopted && existsSync(join(container.dir, 'exit')))) {
        if (shimGone && !container.record.message) container.record.message = "the pod's shim ended before the container";
        container.markExited();
      }
    }
  }

  /** Starts copying the container's output into its log (the FIFOs are there once the shim started it). */
  private openOutputs(container: Container): void {
    const limits = { maxBytes: this.options.logMaxBytes ?? 10 * 1024 * 1024, maxFiles: this.options.logMaxFiles ?? 5 };
    try {
      container.output = new ContainerOutput(container.dir, container.record.logPath, limits, container.attached);
    } catch {
      /* no FIFOs: the container never started */
    }
  }

  /** A promise for the container's end, settled by markExited (its shim's event, or checkEnds). */
  private watchExit(container: Container): void {
    const events = this.events;
    events?.hold();
    container.exited = new Promise((resolve) => {
      container.markExited = () => {
        container.markExited = undefined;
        events?.release();
        this.finish(container);
        resolve();
      };
    });
  }

  /** Reads an adopted container's output again and watches for its end. */
  private follow(container: Container): void {
    mkdirSync(dirname(container.record.logPath), { recursive: true });
    this.openOutputs(container);
    try {
      if (container.record.stdin) container.stdinFd = openSync(join(container.dir, 'stdin'), constants.O_RDWR | constants.O_NONBLOCK);
    } catch {
      /* FIFO gone */
    }
    this.watchExit(container);
  }

  /**
   * The container ended: the last output into the log, then its exit code
   * and reason, from the files its shim wrote; then the shim may let go of
   * the FIFOs (it held them so no output was lost while no agent read).
   */
  private finish(container: Container): void {
    const { record, dir } = container;
    if (record.exitCode !== undefined) return;
    if (!container.output && record.pgid) {
      mkdirSync(dirname(record.logPath), { recursive: true });
      this.openOutputs(container);
    }
    container.output?.drain();
    container.output = undefined;
    this.release(container);
    Object.assign(record, { finishedAt: new Date().toISOString(), ...endOf(dir, { oomKilled: container.cgroup?.oomKilled() ?? false, message: record.message }) });
    this.saveContainer(container);
    this.sendQuietly(record.sandboxId, ['forget', record.id]);
    this.emit(record.sandboxId, containerStatusOf(container.record));
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
          ? () => {
              closeQuietly(container.stdinFd);
              container.stdinFd = undefined;
            }
          : undefined,
      detach: () => container.attached.delete(output),
      ...(container.record.tty
        ? { resize: (size: TerminalSize) => void this.control(container.record.sandboxId).send(['resize', id, String(size.height), String(size.width)]).catch(() => {}) }
        : {}),
      exited: container.exited.then(() => container.record.exitCode ?? 0),
    };
  }

  /** A command inside a running container, as the container runs (exec-process.ts). */
  exec(id: string, command: string[], options: ExecOptions): ExecProcess | undefined {
    const container = this.containers.get(id);
    if (!container || !this.running(container) || !container.record.pgid || !existsSync(join(container.dir, 'spec'))) return undefined;
    return startExec({ binary: this.shimBinary, containerDir: container.dir, ...(this.ownMounts ? { pid: container.record.pgid } : {}) }, command, options);
  }

  /** The pod shim holds the sandbox's namespaces: its network is the pod's. */
  async sandboxPid(sandboxId: string): Promise<number | undefined> {
    const shimPid = this.sandboxes.get(sandboxId)?.shimPid;
    return isPodShim(shimPid) ? shimPid : undefined;
  }

  /**
   * A connection to a port inside the sandbox's network namespace (the pod
   * shim's), through the node helper binary (port-forward.ts); a pod on the
   * node's network is dialled on the node's loopback the same way.
   */
  portForward(sandboxId: string, port: number): Duplex {
    const shimPid = this.sandboxes.get(sandboxId)?.shimPid;
    if (!isPodShim(shimPid)) {
      const gone = new PassThrough();
      queueMicrotask(() => gone.destroy(new Error(`the pod's sandbox ${sandboxId} is not running`)));
      return gone;
    }
    return openShimPortForward(this.shimBinary, shimPid, port);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const container = this.containers.get(id);
    if (!container || !this.running(container) || this.detached) return;
    container.stopping = true;
    // Just started: its PID comes with the shim's word (a SIGTERM before that would reach nobody).
    if (!container.record.pgid) await Promise.race([container.started, container.exited]);
    const pgid = container.record.pgid;
    const signal = (name: NodeJS.Signals) => {
      try {
        if (pgid) process.kill(-pgid, name);
      } catch {
        /* already gone */
      }
    };
    // Through the shim, which knows whether the command, the init of its PID namespace, would ignore it.
    await this.control(container.record.sandboxId)
      .send(['terminate', id])
      .catch(() => signal('SIGTERM'));
    const killer = setTimeout(() => signal('SIGKILL'), Math.max(0, timeoutSeconds) * 1000);
    await container.exited;
    clearTimeout(killer);
  }

  async removeContainer(id: string): Promise<void> {
    const container = this.containers.get(id);
    if (!container) return;
    if (this.running(container)) await this.stopContainer(id, 0);
    container.cgroup?.remove();
    rmSync(container.dir, { recursive: true, force: true });
    if (this.options.snapshotDir) rmSync(this.writableDirOf(id), { recursive: true, force: true });
    this.containers.delete(id);
  }

  /** Where a container's writable layer goes: its own dir, or its snapshot's. */
  private writableDirOf(id: string): string {
    return this.options.snapshotDir ? join(this.options.snapshotDir, id) : join(this.containerDir, id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const container = this.containers.get(id);
    return container ? containerStatusOf(container.record) : undefined;
  }

  async listContainers(sandboxId: string): Promise<ContainerStatus[]> {
    return [...this.containers.values()].filter((c) => c.record.sandboxId === sandboxId).map((c) => containerStatusOf(c.record));
  }

  /** Memory and cpu a container uses, from its cgroup (isolated containers only). */
  async containerStats(id: string): Promise<{ memoryBytes: number; cpuNanos: number } | undefined> {
    return this.containers.get(id)?.cgroup?.usage();
  }

  /** The host PID of a running container's main process. */
  containerPid(id: string): number | undefined {
    const container = this.containers.get(id);
    return container && this.running(container) ? container.record.pgid || undefined : undefined;
  }

  /** Stops every container and removes every sandbox, pod shims included (agent shutdown, tests). */
  async stopAll(graceSeconds = 0): Promise<void> {
    await Promise.all([...this.containers.keys()].map((id) => this.stopContainer(id, graceSeconds)));
    for (const id of [...this.sandboxes.keys()]) await this.removePodSandbox(id).catch(() => {});
  }

  /**
   * The agent is about to stop: a runtime that stops its containers with it
   * starts now, with its short grace period, so a pod being deleted with a
   * long one (30 s by default; a Node.js server as its PID 1 waits for all
   * of it) does not hold the agent's stop up.
   */
  beginShutdown(): void {
    if (!this.options.stopOnShutdown) return;
    this.closed = true;
    this.stoppingAll ??= this.stopAll(5);
  }

  /**
   * The agent is stopping. With stopOnShutdown (`skiff up`), the pods stop
   * with it (SIGTERM, SIGKILL after 5 s) and their sandboxes go; otherwise
   * the shims keep the containers running and the next agent adopts them.
   * The node helper ends either way.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.endCheck);
    if (this.options.stopOnShutdown) {
      await (this.stoppingAll ?? this.stopAll(5));
      await this.network?.remove();
    } else {
      this.detached = true;
      for (const container of this.containers.values()) {
        container.output?.close();
        container.output = undefined;
        container.markExited = undefined;
        this.release(container);
      }
    }
    for (const control of this.controls.values()) control.close();
    this.controls.clear();
    this.events?.close();
    this.helper.stop();
  }

  /** Closes what this runtime holds of a container's stdin. */
  private release(container: Container): void {
    closeQuietly(container.stdinFd);
    container.stdinFd = undefined;
  }
}

/**
 * Why the process runtime cannot set these sysctls for a pod, or undefined:
 * they are written by the pod shim in the pod's own namespaces, so a pod
 * without them (plain processes; the node's network in rootless mode) would
 * change the node's. The node admitted them already (sysctls.ts); the names
 * and values go into a file of tab-separated lines.
 */
export function sysctlRefusal(sysctls: [string, string][], pod: { isolation: Isolation; ownNetwork: boolean }): string | undefined {
  for (const [name, value] of sysctls) {
    if (!/^[a-z0-9_./-]+$/i.test(name) || name.includes('..')) return `sysctl ${JSON.stringify(name)}: not a sysctl name`;
    if (/[\t\n\0]/.test(value)) return `sysctl ${name}: its value has a tab, newline or NUL`;
    if (pod.isolation === 'none') return `sysctl ${name}: this node runs pods as plain processes (no namespaces of their own), where a sysctl would change the node's`;
    if (namespaceOfSysctl(normalizeSysctlName(name)) === 'Net' && !pod.ownNetwork) return `sysctl ${name}: the pod has no network namespace of its own here`;
  }
  return undefined;
}
