/**
 * One pod's worker: brings what runs on the node in line with the pod. When
 * it syncs is the agent's PodSyncQueue's to decide: one sync at a time, a
 * change while syncing queues one more, a failed sync is retried with
 * backoff, and every pod is synced again about every minute.
 *
 * sync:
 *   - being deleted → stop the containers (grace period), report them
 *     terminated, then finish the deletion (grace 0) — the kubelet's part
 *     of a graceful delete;
 *   - otherwise: a sandbox; init containers one after another, each to
 *     success; then every app container, restarted by the pod's
 *     restartPolicy with CrashLoopBackOff (10 s doubling to 5 min, reset
 *     after 10 min of running);
 *   - write the status if it changed.
 */
import type { ContainerType, KubeletMetricsRecorder, PodWorkerOperation } from './metrics/index.js';
import { containerLogPath, linkContainerLog, removePodLogs, type ContainerLogLayout, type PodLogIdentity } from './container-logs.js';
import type { EventRecorder, ResourceClient } from '../client/index.js';
import { isStatusError } from '../machinery/status.js';
import { podStatus, type ContainerRecord, type PodRuntimeView } from './pod-status.js';
import type { ContainerStatus, ExecOptions, PodSandbox, Runtime } from './runtime/runtime.js';
import type { StartExec } from './exec.js';
import type { AgentContainer, AgentPod } from './types.js';
import { containerEnv, EnvError, expandCommand, type EnvContainer, type EnvPod, type EnvSources } from './env.js';
import { ProbeWorker, type Probe, type ProbeTarget } from './probes.js';
import { runHook } from './hooks.js';
import { PodVolumes, VolumeError, type VolumeSources } from './volumes.js';
import { emptyDirMessage } from './eviction.js';
import { podResolverConfig, type ClusterDnsSettings, type PodDnsSpec } from './dns-config.js';
import { milliValue, quantityValue, tryParseQuantity } from '../machinery/quantity.js';
import { containerOOMScoreAdj } from './oom-score.js';
import { totalmem } from 'node:os';
import { PodSyncQueue, type PodSyncTarget } from './pod-sync-queue.js';
import type { ImagePuller } from './image-puller.js';
import type { ImageReference } from './images/reference.js';
import type { RegistryCredentials } from './images/types.js';
import { credentialsFor } from './pull-secrets.js';
import { effectiveSecurity, podNeedsAppArmor, podSandboxSecurity, verifyRunAsNonRoot, type EffectiveSecurity } from './security-context.js';
import { whenAborted } from '../machinery/abort.js';
import { connect } from 'node:net';
import type { PortForwardTarget } from './portforward/handler.js';

const initialBackoffMs = 10_000;
const maxBackoffMs = 300_000;
const backoffResetMs = 600_000;

export interface PodWorkerContext {
  runtime: Runtime;
  /** Events about the pod, as the kubelet records them (Pulled, Created, Started, Killing, Unhealthy, BackOff). */
  recorder?: EventRecorder;
  /** Where ConfigMaps, Secrets and Services for the environment come from. */
  envSources: EnvSources;
  pods: ResourceClient<AgentPod>;
  hostIP: string;
  /** Volumes, for runtimes that run real processes: where their API objects come from and where pods' volume directories go. */
  volumes?: { sources: VolumeSources; podsDir: string; memoryPodsDir?: string; canMount: boolean };
  /** The cluster DNS pods use (dnsPolicy ClusterFirst); without it, the machine's resolver. */
  clusterDNS?: ClusterDnsSettings;
  /** How often volumes are refreshed and emptyDir limits checked (default 10 s). */
  volumeRefreshMs?: number;
  /** The agent's queue of pod syncs (retries, resync); without one the worker has a queue of its own. */
  syncs?: PodSyncQueue;
  /** Pulls images before containers are made, for runtimes that run images (`runtime.images`). */
  imagePuller?: ImagePuller;
  /** The handler of a RuntimeClass (undefined when there is no such RuntimeClass). */
  runtimeHandler?(runtimeClassName: string): Promise<string | undefined>;
  /** Where containers' logs go, in the kubelet's layout (container-logs.ts); without it, where the runtime puts them. */
  logs?: ContainerLogLayout;
  /** The kubelet_* recorder (metrics/kubelet-metrics.ts). */
  metrics?: KubeletMetricsRecorder;
  now(): Date;
  log(event: Record<string, unknown>): void;
}

interface Slot {
  spec: AgentContainer;
  record: ContainerRecord;
  /** The wait the next crash gets. */
  backoffMs: number;
  /** Not before this time may the container be started again (0: no wait decided). */
  restartAt: number;
  /** The wait now in progress (for the CrashLoopBackOff message). */
  waitMs: number;
  /** The probes of the current attempt. */
  probes: ProbeWorker[];
  /** The environment the current attempt got (exec probes run with it). */
  env: Record<string, string>;
}

type PodCondition = { type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string };

/** Our own conditions, plus those others own (PodScheduled from the scheduler, DisruptionTarget …) as the pod has them. */
function mergeConditions(ours: PodCondition[], current: PodCondition[] | undefined): PodCondition[] {
  const types = new Set(ours.map((c) => c.type));
  return [...ours, ...(current ?? []).filter((c) => !types.has(c.type))];
}

/** A container's memory and cpu limits and its cpu request in the runtime's units (bytes, millicores). */
function resourcesOf(spec: AgentContainer): { memoryLimit?: number; milliCPULimit?: number; milliCPURequest?: number } {
  const limits = spec.resources?.limits ?? {};
  const requests = spec.resources?.requests ?? {};
  const memory = limits.memory ? tryParseQuantity(limits.memory) : undefined;
  return {
    ...(memory ? { memoryLimit: Math.ceil(quantityValue(memory)) } : {}),
    ...(limits.cpu ? { milliCPULimit: Number(milliValue(limits.cpu)) } : {}),
    ...(requests.cpu !== undefined ? { milliCPURequest: Number(milliValue(requests.cpu)) } : {}),
  };
}

function newSlot(spec: AgentContainer, ephemeral = false): Slot {
  return {
    spec,
    record: { name: spec.name, image: spec.image ?? '', restartCount: 0, ...(isSidecar(spec) ? { sidecar: true } : {}), ...(ephemeral ? { ephemeral: true } : {}) },
    backoffMs: 0,
    restartAt: 0,
    waitMs: 0,
    probes: [],
    env: {},
  };
}

/** A restartable init container: started in order, then kept running beside the app containers. */
function isSidecar(container: AgentContainer): boolean {
  return container.restartPolicy === 'Always';
}

export class PodWorker implements PodSyncTarget {
  private pod: AgentPod;
  private sandbox: PodSandbox | undefined;
  private readonly init: Slot[];
  private readonly app: Slot[];
  /** Ephemeral containers (kubectl debug): added while the pod runs, each started once, never restarted. */
  private readonly ephemeral: Slot[] = [];
  private readonly startTime: Date;
  /** For kubelet_pod_worker_duration_seconds: whether a sync ran yet, and whether the pod changed since. */
  private synced = false;
  private updatedSinceSync = false;
  private startRecorded = false;
  private readonly syncs: PodSyncQueue;
  /** The queue is this worker's own (no agent gave one): it stops with the worker. */
  private readonly ownQueue: boolean;
  private lastStatusJson = '';
  /** The status this worker last wrote (its conditions are the truth for their transition times). */
  private lastWritten: { conditions?: PodCondition[] } | undefined;
  /** The agent stops: no more syncs (what runs is the runtime's to stop). */
  private halted = false;
  /** Kills the commands of the postStart hooks running now. */
  private readonly runningHooks = new Set<() => void>();
  /** The pod is gone from the API: nothing more to report; syncs tear it down. */
  private gone = false;
  /** Torn down after the pod went: nothing more to do. */
  private tornDown = false;
  finished = false;
  private readonly volumes: PodVolumes | undefined;
  private volumeRefresh: NodeJS.Timeout | undefined;
  /** The last FailedMount message, so a retry does not repeat the event. */
  private mountFailure = '';
  /** Why the sandbox could not be made, said once in an event. */
  private sandboxFailure: string | undefined;
  /** The pod's RuntimeClass handler, once looked up. */
  private handler: string | undefined;
  /** Set when the node decided to evict the pod: the next sync carries it out. */
  private eviction: string | undefined;
  /**
   * How the pod ended (this worker saw it end, or evicted it): the final
   * status from what the runtime says, and whether it is written — a sync
   * that failed before that is retried until it is.
   */
  private ending: { finalStatus(status: Record<string, unknown>): Record<string, unknown>; written: boolean } | undefined;

  constructor(
    pod: AgentPod,
    private readonly context: PodWorkerContext,
  ) {
    this.pod = pod;
    this.startTime = context.now();
    this.ownQueue = !context.syncs;
    this.syncs = context.syncs ?? new PodSyncQueue({ log: context.log });
    this.init = (pod.spec?.initContainers ?? []).map((spec) => newSlot(spec));
    this.app = (pod.spec?.containers ?? []).map((spec) => newSlot(spec));
    this.addEphemeralSlots();
    if (context.volumes) {
      this.volumes = new PodVolumes(() => this.pod as never, context.volumes.sources, {
        dir: `${context.volumes.podsDir}/${pod.metadata.uid}/volumes`,
        ...(context.volumes.memoryPodsDir ? { memoryDir: `${context.volumes.memoryPodsDir}/${pod.metadata.uid}/volumes` } : {}),
        canMount: context.volumes.canMount,
        ips: () => ({ podIP: this.view().podIP, hostIP: context.hostIP }),
      });
    }
  }

  /** Every container of the pod: init, app and ephemeral. */
  private get slots(): Slot[] {
    return [...this.init, ...this.app, ...this.ephemeral];
  }

  /** Ephemeral containers only ever get added (the apiserver refuses changes and removals). */
  private addEphemeralSlots(): void {
    const known = new Set(this.ephemeral.map((s) => s.spec.name));
    for (const spec of this.pod.spec?.ephemeralContainers ?? []) {
      if (!known.has(spec.name)) this.ephemeral.push(newSlot(spec, true));
    }
  }

  get sandboxId(): string | undefined {
    return this.sandbox?.id;
  }

  /** The log file of a container's current attempt (or the one before), and whether it still runs. */
  logOf(container: string, previous: boolean): { path?: string; running: () => boolean } | undefined {
    const slot = this.slots.find((s) => s.spec.name === container);
    if (!slot) return undefined;
    const attempt = previous ? slot.record.previous : slot.record.current;
    return { path: attempt?.logPath, running: () => !previous && slot.record.current?.id === attempt?.id && slot.record.current?.state === 'running' };
  }

  /** How to run a command in a running container (kubectl exec) — or why it cannot run there. */
  execTarget(container: string): { start: StartExec } | { error: string } | undefined {
    const slot = this.slots.find((s) => s.spec.name === container);
    const id = slot?.record.current?.state === 'running' ? slot.record.current.id : undefined;
    if (!slot || !id) return undefined;
    const { runtime } = this.context;
    if (!runtime.exec) return { error: `the ${runtime.name} runtime cannot run commands` };
    return { start: (command, options) => runtime.exec!(id, command, options) };
  }

  /** Attaches to a running container's stdio (kubectl attach); undefined when it is not running or the runtime cannot. */
  attach(container: string, output: (stream: 'stdout' | 'stderr', data: Buffer) => void): ReturnType<NonNullable<Runtime['attach']>> {
    const slot = this.slots.find((s) => s.spec.name === container);
    const id = slot?.record.current?.state === 'running' ? slot.record.current.id : undefined;
    return id ? this.context.runtime.attach?.(id, output) : undefined;
  }

  /**
   * How port-forward reaches the pod's ports: through the runtime when it
   * can dial inside the pod's network namespace (the CRI's PortForward);
   * else at the pod's own IP, or this machine for a host-network pod.
   */
  portForwardTarget(): PortForwardTarget | undefined {
    if (!this.sandbox || this.finished) return undefined;
    const sandbox = this.sandbox;
    const runtime = this.context.runtime;
    const ownIP = sandbox.ip !== this.context.hostIP && !this.pod.spec?.hostNetwork;
    const host = ownIP ? sandbox.ip : '127.0.0.1';
    const dial = runtime.portForward ? (port: number) => runtime.portForward!(sandbox.id, port) : (port: number) => connect(port, host);
    return { dial, podName: this.pod.metadata.name!, podUid: this.pod.metadata.uid! };
  }

  get podObject(): AgentPod {
    return this.pod;
  }

  get podKey(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  /** A newer pod object (or a runtime event): sync again. */
  update(pod?: AgentPod): void {
    if (pod) {
      this.pod = pod;
      this.updatedSinceSync = true;
      if (pod.metadata.deletionTimestamp) this.killRunningHooks();
      this.addEphemeralSlots();
    }
    this.schedule();
  }

  /** A hook must not hold up the pod's end: the sync waiting for it goes on to the deletion. */
  private killRunningHooks(): void {
    for (const kill of this.runningHooks) kill();
    this.runningHooks.clear();
  }

  /** Records an event about the pod, worded as the kubelet words it. */
  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.context.recorder?.event(this.pod, type, reason, message);
  }

  /** The agent is stopping: no more syncs (what runs is the runtime's to stop). */
  async halt(): Promise<void> {
    this.halted = true;
    this.killRunningHooks();
    clearInterval(this.volumeRefresh);
    for (const slot of this.slots) this.stopProbes(slot);
    await this.syncs.idle(this);
    if (this.ownQueue) this.syncs.shutDown();
  }

  /**
   * The pod was deleted from the API (by us or forcibly): its containers
   * are stopped and its sandbox and volumes removed — by a sync, so a
   * failure is retried like any other. Resolves when that sync ended.
   */
  async remove(): Promise<void> {
    this.gone = true;
    this.killRunningHooks();
    clearInterval(this.volumeRefresh);
    for (const slot of this.slots) this.stopProbes(slot);
    this.syncs.request(this);
    await this.syncs.idle(this);
  }

  /** For the sync queue: nothing left to do. */
  get stopped(): boolean {
    return this.halted || this.tornDown;
  }

  /** For the sync queue: a pod that finished is not resynced (a change still syncs it). */
  get settled(): boolean {
    return this.finished && !this.gone;
  }

  /** Resolves once no sync is running or queued (tests). */
  idle(): Promise<void> {
    return this.syncs.idle(this);
  }

  /** Asks for a sync (through the agent's queue: one at a time, retried on failure). */
  schedule(): void {
    if (this.stopped) return;
    this.syncs.request(this);
  }

  /** What names the pod's log directory. */
  private logIdentity(): PodLogIdentity {
    return { namespace: this.pod.metadata.namespace ?? 'default', name: this.pod.metadata.name!, uid: this.pod.metadata.uid! };
  }

  private view(): PodRuntimeView {
    return {
      sandboxReady: this.sandbox?.state === 'ready',
      podIP: this.pod.spec?.hostNetwork ? this.context.hostIP : this.sandbox?.ip,
      hostIP: this.context.hostIP,
      startTime: this.startTime,
      init: this.init.map((s) => s.record),
      containers: this.app.map((s) => s.record),
      ephemeral: this.ephemeral.map((s) => s.record),
      initDone: this.init.every((s) => (isSidecar(s.spec) ? s.record.current !== undefined : s.record.current?.state === 'exited' && s.record.current.exitCode === 0)),
    };
  }

  /** Refreshes each container's record from the runtime. */
  private async refresh(): Promise<void> {
    for (const slot of this.slots) {
      const id = slot.record.current?.id;
      if (!id) continue;
      const status = await this.context.runtime.containerStatus(id);
      if (status) slot.record.current = status;
      if (status?.state === 'exited') this.stopProbes(slot);
    }
  }

  /** Creates and starts a new attempt of the container — unless its environment cannot be built yet. */
  private async start(slot: Slot): Promise<void> {
    const type: ContainerType = this.ephemeral.includes(slot) ? 'ephemeral_container' : this.init.includes(slot) ? 'init_container' : 'container';
    this.context.metrics?.startedContainer(type);
    const { runtime } = this.context;
    const spec = slot.spec;
    let env: Record<string, string>;
    let mounts: ReturnType<PodVolumes['mountsFor']> = [];
    try {
      env = await containerEnv(this.pod as EnvPod, spec as EnvContainer, this.context.envSources, { podIP: this.view().podIP, hostIP: this.context.hostIP });
      if (this.volumes) mounts = this.volumes.mountsFor(spec);
    } catch (err) {
      if (!(err instanceof EnvError) && !(err instanceof VolumeError)) throw err;
      // Shown as upstream shows it; tried again shortly (the ConfigMap or Secret may appear).
      slot.record.waitingReason = 'CreateContainerConfigError';
      slot.record.waitingMessage = err.message;
      this.wakeAt(this.context.now().getTime() + 5000);
      return;
    }
    if (slot.record.current) {
      // A restart: the old attempt becomes lastState.
      slot.record.previous = slot.record.current;
      slot.record.restartCount++;
      await runtime.removeContainer(slot.record.current.id).catch(() => {});
    }
    let pidNamespaceOf: string | undefined;
    if (spec.targetContainerName) {
      // Shares the target's processes (kubectl debug --target): the target must be running.
      const target = [...this.init, ...this.app].find((s) => s.spec.name === spec.targetContainerName)?.record.current;
      if (target?.state !== 'running') {
        slot.record.waitingReason = 'CreateContainerConfigError';
        slot.record.waitingMessage = target ? `target container ${spec.targetContainerName} is not running` : `unable to find target container ${spec.targetContainerName}`;
        this.wakeAt(this.context.now().getTime() + 5000);
        return;
      }
      pidNamespaceOf = target.id;
    }
    const { command, args } = expandCommand(spec as EnvContainer, env);
    const security = effectiveSecurity(this.pod, spec);
    if (!(await this.ensureImage(slot, security))) return;
    const { runAsNonRoot: _checked, ...containerSecurity } = security;
    const id = await this.createContainer(slot, {
      name: spec.name,
      image: spec.image ?? '',
      command,
      args,
      env,
      workingDir: spec.workingDir,
      restartPolicy: this.ephemeral.includes(slot) ? 'Never' : (this.pod.spec?.restartPolicy ?? 'Always'),
      stdin: spec.stdin,
      stdinOnce: spec.stdinOnce,
      tty: spec.tty,
      mounts,
      ...resourcesOf(spec),
      oomScoreAdj: containerOOMScoreAdj(this.pod, spec, totalmem()),
      attempt: slot.record.restartCount,
      ...(pidNamespaceOf ? { pidNamespaceOf } : {}),
      ...(this.context.logs ? { logPath: containerLogPath(this.context.logs, this.logIdentity(), spec.name, slot.record.restartCount) } : {}),
      security: containerSecurity,
    });
    if (id === undefined) return;
    if (this.context.logs) linkContainerLog(this.context.logs, this.logIdentity(), spec.name, id, slot.record.restartCount);
    this.event('Normal', 'Created', `Created container: ${spec.name}`);
    await runtime.startContainer(id);
    this.event('Normal', 'Started', `Started container ${spec.name}`);
    slot.record.current = await runtime.containerStatus(id);
    slot.record.waitingReason = undefined;
    slot.record.waitingMessage = undefined;
    slot.env = env;
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      // The hook runs before anything else of the pod moves on; failing it kills the container. As
      // upstream, an exec hook has no time limit — but a pod being deleted or an agent stopping kills
      // it (killRunningHooks) rather than wait. Other handlers get the grace period, at least 30 s.
      const target = this.probeTarget(slot);
      const exec = target.exec;
      if (exec) {
        target.exec = (command, options) => {
          const running = exec(command, options);
          if (running) {
            this.runningHooks.add(running.kill);
            void running.done.finally(() => this.runningHooks.delete(running.kill));
          }
          return running;
        };
      }
      const execSync = target.execSync;
      if (execSync) {
        // Cancelling an ExecSync call kills its command.
        target.execSync = (command, timeoutSeconds, signal) => {
          const cancel = new AbortController();
          const kill = () => cancel.abort();
          const forget = signal ? whenAborted(signal, kill) : () => {};
          this.runningHooks.add(kill);
          return execSync(command, timeoutSeconds, cancel.signal).finally(() => {
            forget();
            this.runningHooks.delete(kill);
          });
        };
      }
      const limit = postStart.exec ? Infinity : Math.max(30, this.pod.spec?.terminationGracePeriodSeconds ?? 30);
      const failure = await runHook(postStart, target, limit);
      if (failure !== undefined) {
        this.event('Warning', 'FailedPostStartHook', 'PostStartHook failed');
        await runtime.stopContainer(id, 0);
        slot.record.current = (await runtime.containerStatus(id)) ?? slot.record.current;
        return;
      }
    }
    if (this.app.includes(slot) || isSidecar(spec)) this.startProbes(slot);
  }

  /**
   * CreateContainer; when the runtime refuses (a Localhost seccomp profile
   * that is missing, a device that is not there …) the container waits with
   * reason CreateContainerError and the runtime's words, a Warning event
   * says it once, and the next attempt comes in 10 s — as the kubelet shows
   * and retries it — rather than the whole pod's sync failing.
   */
  private async createContainer(slot: Slot, config: Parameters<Runtime['createContainer']>[1]): Promise<string | undefined> {
    try {
      return await this.context.runtime.createContainer(this.sandbox!.id, config);
    } catch (err) {
      const message = (err as Error).message;
      if (slot.record.waitingReason !== 'CreateContainerError' || slot.record.waitingMessage !== message) this.event('Warning', 'Failed', `Error: ${message}`);
      slot.record.waitingReason = 'CreateContainerError';
      slot.record.waitingMessage = message;
      // An earlier attempt (removed for this one) stays lastState; no attempt runs now, and the next one is not a restart.
      slot.record.current = undefined;
      this.wakeAt(this.context.now().getTime() + 10_000);
      return undefined;
    }
  }

  /**
   * The container's image, pulled as its policy says (runtimes that run
   * images), and the kubelet's runAsNonRoot check against the image's user;
   * false, with the container waiting and why, when it cannot be made yet.
   */
  private async ensureImage(slot: Slot, security: EffectiveSecurity): Promise<boolean> {
    const { runtime, imagePuller } = this.context;
    const image = slot.spec.image ?? '';
    const onHost = (await this.runtimeHandler()) === 'host';
    if (runtime.imageRefusal && !onHost) {
      // Never silently on the node's file system: the pod says why it does not run.
      if (slot.record.waitingReason !== 'CreateContainerError') this.event('Warning', 'Failed', `Error: ${runtime.imageRefusal}`);
      slot.record.waitingReason = 'CreateContainerError';
      slot.record.waitingMessage = runtime.imageRefusal;
      this.wakeAt(this.context.now().getTime() + 60_000);
      return false;
    }
    if (!runtime.images || !imagePuller || onHost) {
      this.event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return true;
    }
    const outcome = await imagePuller.ensureImage({
      podUid: this.pod.metadata.uid!,
      image,
      pullPolicy: slot.spec.imagePullPolicy,
      credentials: (ref) => this.pullCredentials(ref),
      event: (type, reason, message) => this.event(type, reason, message),
    });
    let failure: { reason: string; message: string } | undefined;
    if (!outcome.ok) {
      this.event('Warning', 'Failed', `Error: ${outcome.reason}`);
      // After a failed pull the next sync comes soon and shows the back-off, as upstream's does.
      this.wakeAt(outcome.reason === 'ErrImagePull' ? this.context.now().getTime() + 1000 : (outcome.retryAt ?? this.context.now().getTime() + 10_000));
      failure = outcome;
    } else if (security.runAsNonRoot) {
      const user = (await runtime.images.imageStatus(image))?.config.user;
      const message = verifyRunAsNonRoot(this.pod.metadata.name!, slot.spec.name, security.runAsUser, user);
      if (message) {
        this.event('Warning', 'Failed', `Error: ${message}`);
        this.wakeAt(this.context.now().getTime() + 10_000);
        failure = { reason: 'CreateContainerConfigError', message };
      }
    }
    if (!failure) return true;
    slot.record.waitingReason = failure.reason;
    slot.record.waitingMessage = failure.message;
    return false;
  }

  /** Registry credentials for an image from the pod's imagePullSecrets (the ones that exist). */
  private async pullCredentials(ref: ImageReference): Promise<RegistryCredentials[]> {
    const namespace = this.pod.metadata.namespace!;
    const secrets = await Promise.all((this.pod.spec?.imagePullSecrets ?? []).filter((s) => s.name).map((s) => this.context.envSources.secret(namespace, s.name!).catch(() => undefined)));
    return credentialsFor(secrets.filter((s): s is NonNullable<typeof s> => !!s), ref);
  }

  /** The pod's RuntimeClass handler: '' without a RuntimeClass, undefined when the RuntimeClass does not exist. */
  private async runtimeHandler(): Promise<string | undefined> {
    const name = this.pod.spec?.runtimeClassName;
    if (!name) return '';
    this.handler ??= await this.context.runtimeHandler?.(name);
    return this.handler;
  }

  /** What probes of a container reach: the pod's IP, its environment, its named ports. */
  private probeTarget(slot: Slot): ProbeTarget {
    const ports = Object.fromEntries((slot.spec.ports ?? []).filter((p) => p.name).map((p) => [p.name!, p.containerPort]));
    // Commands run in the attempt this target was made for, not a later one.
    const id = slot.record.current?.id;
    const { runtime } = this.context;
    const exec = runtime.exec && id ? (command: string[], options: ExecOptions) => runtime.exec!(id, command, options) : undefined;
    // Exec probes and hooks go through ExecSync where the runtime has it: it kills a command at its timeout.
    const execSync = runtime.execSync && id ? (command: string[], timeoutSeconds: number, signal?: AbortSignal) => runtime.execSync!(id, command, timeoutSeconds, signal) : undefined;
    return { host: this.view().podIP ?? this.context.hostIP, ports, ...(exec ? { exec } : {}), ...(execSync ? { execSync } : {}) };
  }

  /**
   * Starts the probes of a new container attempt: the startup probe first
   * (liveness and readiness wait for it), then liveness and readiness. A
   * container with a readiness probe is not ready until it passes.
   */
  private startProbes(slot: Slot): void {
    this.stopProbes(slot);
    const attempt = slot.record.current?.id;
    const current = () => slot.record.current?.id === attempt && slot.record.current?.state === 'running';
    const kill = (why: string) => {
      if (!current() || !attempt) return;
      this.context.log({ msg: 'killing container', pod: this.podKey, container: slot.spec.name, reason: why });
      this.event('Normal', 'Killing', why);
      void this.context.runtime.stopContainer(attempt, this.pod.spec?.terminationGracePeriodSeconds ?? 30);
    };
    const target = () => this.probeTarget(slot);
    const liveAndReady = () => {
      if (slot.spec.livenessProbe) {
        slot.probes.push(
          new ProbeWorker(
            slot.spec.livenessProbe,
            target,
            (ok) => !ok && kill(`Container ${slot.spec.name} failed liveness probe, will be restarted`),
            (output) => this.event('Warning', 'Unhealthy', `Liveness probe failed: ${output ?? ''}`),
          ),
        );
      }
      if (slot.spec.readinessProbe) {
        slot.probes.push(
          new ProbeWorker(
            slot.spec.readinessProbe,
            target,
            (ok) => {
              if (!current()) return;
              slot.record.ready = ok;
              this.schedule();
            },
            (output) => this.event('Warning', 'Unhealthy', `Readiness probe failed: ${output ?? ''}`),
          ),
        );
      }
      for (const probe of slot.probes) probe.start();
    };
    slot.record.ready = slot.spec.readinessProbe ? false : undefined;
    if (slot.spec.startupProbe) {
      slot.record.started = false;
      const startup = new ProbeWorker(slot.spec.startupProbe as Probe, target, (ok) => {
        startup.stop();
        if (!ok) return kill(`Container ${slot.spec.name} failed startup probe, will be restarted`);
        slot.record.started = true;
        liveAndReady();
        this.schedule();
      });
      slot.probes.push(startup);
      startup.start();
    } else {
      slot.record.started = undefined;
      liveAndReady();
    }
  }

  private stopProbes(slot: Slot): void {
    for (const probe of slot.probes) probe.stop();
    slot.probes = [];
  }

  /** Whether an exited container should run again, by the pod's restart policy. */
  private shouldRestart(status: ContainerStatus, isInit: boolean): boolean {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    if (isInit && status.exitCode === 0) return false;
    if (isInit) return status.exitCode !== 0 && policy !== 'Never';
    return policy === 'Always' || (policy === 'OnFailure' && status.exitCode !== 0);
  }

  /**
   * Restarts an exited container, as upstream's kubelet: the first restart
   * is immediate; a crash after that waits 10 s, then 20 s, 40 s … up to
   * 5 min (CrashLoopBackOff); ten minutes of running start the count over.
   */
  private async restartWithBackoff(slot: Slot): Promise<void> {
    const now = this.context.now().getTime();
    const current = slot.record.current!;
    const finishedAt = current.finishedAt?.getTime() ?? now;
    if (current.startedAt && finishedAt - current.startedAt.getTime() > backoffResetMs) slot.backoffMs = 0;
    if (slot.restartAt === 0) {
      if (slot.backoffMs === 0) {
        slot.backoffMs = initialBackoffMs;
        await this.start(slot);
        return;
      }
      slot.restartAt = finishedAt + slot.backoffMs;
      slot.waitMs = slot.backoffMs;
      slot.backoffMs = Math.min(slot.backoffMs * 2, maxBackoffMs);
    }
    if (now < slot.restartAt) {
      if (slot.record.waitingReason !== 'CrashLoopBackOff') {
        this.event('Warning', 'BackOff', `Back-off restarting failed container ${slot.spec.name} in pod ${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`);
      }
      slot.record.waitingReason = 'CrashLoopBackOff';
      slot.record.waitingMessage = `back-off ${Math.round(slot.waitMs / 1000)}s restarting failed container=${slot.spec.name} pod=${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`;
      this.wakeAt(slot.restartAt);
      return;
    }
    slot.restartAt = 0;
    await this.start(slot);
  }

  private wakeAt(time: number): void {
    const delay = Math.max(0, time - this.context.now().getTime());
    this.syncs.requestAfter(this, delay + 5);
  }

  /**
   * Evicts the pod (node pressure, an emptyDir over its limit): its
   * containers are killed at once and it ends Failed with reason Evicted —
   * upstream's hard eviction. Controllers then replace it.
   */
  evict(message: string, signal?: string): void {
    if (this.finished || this.eviction !== undefined) return;
    if (signal) this.context.metrics?.evicted(signal);
    this.eviction = message;
    this.schedule();
  }

  /** What the pod's containers use now, for ranking pods to evict. */
  async usage(): Promise<Record<string, number>> {
    const usage: Record<string, number> = {};
    for (const slot of this.app) {
      const id = slot.record.current?.state === 'running' ? slot.record.current.id : undefined;
      const stats = id ? await this.context.runtime.containerStats?.(id) : undefined;
      usage[slot.spec.name] = stats?.memoryBytes ?? 0;
    }
    return usage;
  }

  private async carryOutEviction(message: string): Promise<void> {
    const { runtime } = this.context;
    this.finished = true;
    clearInterval(this.volumeRefresh);
    this.context.log({ msg: 'evicting pod', pod: this.podKey, message });
    this.event('Warning', 'Evicted', message);
    const now = new Date(this.context.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.ending = {
      written: false,
      finalStatus: (computed) => {
        const status = computed as Record<string, unknown> & { conditions?: Record<string, unknown>[] };
        const conditions = [
          ...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
          { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message, lastTransitionTime: now },
        ];
        return { ...status, phase: 'Failed', reason: 'Evicted', message, conditions };
      },
    };
    for (const slot of this.slots) {
      this.stopProbes(slot);
      const id = slot.record.current?.id;
      if (id && slot.record.current?.state === 'running') {
        this.event('Normal', 'Killing', `Stopping container ${slot.spec.name}`);
        await runtime.stopContainer(id, 0);
      }
    }
    await this.completeEnding();
  }

  /**
   * The end of a pod that ended here: its probes stopped, its sandbox
   * stopped (sidecars still running stop with it, and show terminated),
   * the final status written. Safe to run again: a sync that failed on
   * the way is retried until the status is written.
   */
  private async completeEnding(): Promise<void> {
    const ending = this.ending!;
    if (ending.written) return;
    for (const slot of this.slots) this.stopProbes(slot);
    if (this.sandbox) {
      await this.context.runtime.stopPodSandbox(this.sandbox.id);
      await this.refresh();
    }
    await this.writeStatus(ending.finalStatus(this.computeStatus()));
    ending.written = true;
  }

  /** One sync (the queue calls it; a throw is retried with backoff). */
  async sync(): Promise<void> {
    // Timed as the kubelet's pod workers are, by what the sync was for.
    const operation: PodWorkerOperation = this.gone || this.pod.metadata.deletionTimestamp ? 'kill' : !this.synced ? 'create' : this.updatedSinceSync ? 'update' : 'sync';
    this.synced = true;
    this.updatedSinceSync = false;
    const started = performance.now();
    try {
      await this.syncOnce();
    } finally {
      this.context.metrics?.podWorkerDuration(operation, (performance.now() - started) / 1000);
    }
  }

  private async syncOnce(): Promise<void> {
    const pod = this.pod;
    if (this.gone) {
      await this.teardown(0);
      await this.volumes?.tearDown();
      if (this.context.logs) removePodLogs(this.context.logs, this.logIdentity());
      this.tornDown = true;
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      await this.terminate();
      return;
    }
    if (this.eviction !== undefined && !this.finished) {
      await this.carryOutEviction(this.eviction);
      return;
    }
    if (this.finished) {
      if (this.ending) await this.completeEnding();
      return;
    }
    const { runtime } = this.context;
    if (!this.sandbox) await this.adopt();
    if (this.finished) return;
    if (!this.sandbox && (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')) {
      // A pod that ended before this agent started (a restart): it never runs again.
      this.finished = true;
      return;
    }
    if (!this.sandbox) {
      const runtimeHandler = await this.runtimeHandler();
      if (runtimeHandler === undefined) {
        const message = `Failed to create pod sandbox: RuntimeClass "${pod.spec?.runtimeClassName}" not found`;
        if (message !== this.sandboxFailure) this.event('Warning', 'FailedCreatePodSandBox', message);
        this.sandboxFailure = message;
        for (const slot of this.slots) if (!slot.record.current) slot.record.waitingReason = 'ContainerCreating';
        await this.writeStatus(this.computeStatus());
        this.wakeAt(this.context.now().getTime() + 10_000);
        return;
      }
      this.sandboxFailure = undefined;
      // The kubelet's soft admission: a pod that needs AppArmor where it cannot be enforced is held
      // back — Pending, reason AppArmor, its containers Blocked — rather than run unconfined.
      const appArmor = runtime.capabilities.appArmorUnavailable;
      if (appArmor && podNeedsAppArmor(pod)) {
        for (const slot of this.slots) if (!slot.record.current) slot.record.waitingReason = 'Blocked';
        await this.writeStatus({ ...this.computeStatus(), reason: 'AppArmor', message: `Cannot enforce AppArmor: ${appArmor}` });
        this.wakeAt(this.context.now().getTime() + 60_000);
        return;
      }
      this.context.metrics?.startedPod();
      this.sandbox = await runtime.runPodSandbox({
        ...(runtimeHandler ? { runtimeHandler } : {}),
        uid: pod.metadata.uid!,
        namespace: pod.metadata.namespace!,
        name: pod.metadata.name!,
        hostname: pod.spec?.hostname ?? pod.metadata.name,
        hostNetwork: pod.spec?.hostNetwork,
        dns: podResolverConfig(pod.metadata.namespace!, (pod.spec ?? {}) as PodDnsSpec, this.context.clusterDNS),
        ...podSandboxSecurity(pod),
      }).catch((err: unknown) => {
        this.context.metrics?.startedPodFailed();
        throw err;
      });
    }
    await this.refresh();
    if (this.volumes && !(await this.syncVolumes())) {
      for (const slot of this.slots) if (!slot.record.current) slot.record.waitingReason = 'ContainerCreating';
      await this.writeStatus(this.computeStatus());
      this.wakeAt(this.context.now().getTime() + 2000);
      return;
    }

    // Ephemeral containers first, as upstream: a debugger must start even while initialization fails.
    for (const slot of this.ephemeral) if (!slot.record.current) await this.start(slot);

    // Init containers, in order, each to success — except sidecars (restartPolicy Always),
    // which start and keep running beside everything after them.
    let initFailed = false;
    let initDone = true;
    for (const slot of this.init) {
      const current = slot.record.current;
      if (isSidecar(slot.spec)) {
        if (!current) await this.start(slot);
        else if (current.state === 'exited') await this.restartWithBackoff(slot);
        continue;
      }
      if (current?.state === 'exited' && current.exitCode === 0) continue;
      initDone = false;
      if (!current) {
        await this.start(slot);
      } else if (current.state === 'exited') {
        if (this.shouldRestart(current, true)) await this.restartWithBackoff(slot);
        else initFailed = true;
      }
      break;
    }
    if (initDone) {
      for (const slot of this.app) {
        const current = slot.record.current;
        if (!current) await this.start(slot);
        else if (current.state === 'exited' && this.shouldRestart(current, false)) await this.restartWithBackoff(slot);
      }
      // Init containers still waiting show why the app containers do not run.
    } else {
      for (const slot of this.app) if (!slot.record.current) slot.record.waitingReason = 'PodInitializing';
    }

    const status = this.computeStatus();
    if (status.phase === 'Succeeded' || status.phase === 'Failed' || initFailed) {
      this.finished = true;
      this.ending = { written: false, finalStatus: (computed) => ({ ...computed, phase: status.phase }) };
      await this.completeEnding();
      return;
    }
    // kubelet_pod_start_duration_seconds: from the worker's first sight of the pod to its first Running.
    if (status.phase === 'Running' && !this.startRecorded) {
      this.startRecorded = true;
      if (this.pod.status?.phase !== 'Running') this.context.metrics?.podStarted((this.context.now().getTime() - this.startTime.getTime()) / 1000);
    }
    await this.writeStatus(status);
  }

  /**
   * Sets up the pod's volumes (and, from then on, keeps ConfigMap, Secret
   * and downward API files current every 10 s); false when one cannot be
   * set up yet, said once in a FailedMount event.
   */
  private async syncVolumes(): Promise<boolean> {
    try {
      await this.volumes!.sync();
    } catch (err) {
      if (!(err instanceof VolumeError)) throw err;
      if (err.message !== this.mountFailure) this.event('Warning', 'FailedMount', err.message);
      this.mountFailure = err.message;
      return false;
    }
    this.mountFailure = '';
    if (!this.volumeRefresh) {
      this.volumeRefresh = setInterval(() => {
        if (this.finished) return;
        void this.volumes!.sync().catch(() => {});
        // An emptyDir over its sizeLimit: the pod is evicted, as upstream's local storage eviction does.
        const over = this.volumes!.overLimit();
        if (over) this.evict(emptyDirMessage(over.volume, over.sizeLimit), 'emptydirfs.limit');
      }, this.context.volumeRefreshMs ?? 10_000);
      this.volumeRefresh.unref();
      const mounted = (this.pod.spec as { containers?: { volumeMounts?: unknown[] }[] } | undefined)?.containers?.some((c) => c.volumeMounts?.length);
      if (mounted && !this.context.volumes!.canMount) {
        this.event('Warning', 'VolumesNotMounted', 'without isolation (not root) volumes are not mounted into containers; they are prepared on the node under ' + `${this.context.volumes!.podsDir}/${this.pod.metadata.uid}/volumes`);
      }
    }
    return true;
  }

  /**
   * After an agent restart: the pod's sandbox and containers are still in
   * the runtime. Take them over — the newest attempt of each container is
   * its current one, the one before its lastState, the count its restarts.
   */
  private async adopt(): Promise<void> {
    const { runtime } = this.context;
    const mine = (await runtime.listPodSandboxes()).filter((s) => s.podUid === this.pod.metadata.uid).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const ended = this.pod.status?.phase === 'Succeeded' || this.pod.status?.phase === 'Failed';
    let sandbox: PodSandbox | undefined;
    if (ended) {
      // A pod that ended: its last sandbox only tells how its containers ended (and where their logs are).
      sandbox = mine[mine.length - 1];
      this.finished = true;
    } else {
      // Sandboxes whose namespaces are gone (the machine restarted) are of no use: cleaned up, the pod starts afresh.
      for (const dead of mine.filter((s) => s.state !== 'ready')) await runtime.removePodSandbox(dead.id).catch(() => {});
      sandbox = mine.find((s) => s.state === 'ready');
    }
    if (!sandbox) return;
    this.sandbox = sandbox;
    const containers = await runtime.listContainers(sandbox.id);
    for (const slot of this.slots) {
      const attempts = containers.filter((c) => c.name === slot.spec.name).sort((a, b) => (a.attempt ?? 0) - (b.attempt ?? 0));
      if (!attempts.length) continue;
      slot.record.current = attempts[attempts.length - 1];
      slot.record.previous = attempts[attempts.length - 2];
      slot.record.restartCount = slot.record.current.attempt ?? attempts.length - 1;
      slot.backoffMs = slot.record.restartCount > 0 ? initialBackoffMs : 0;
      if (slot.record.current.state === 'running' && !this.finished) {
        slot.env = await containerEnv(this.pod as EnvPod, slot.spec as EnvContainer, this.context.envSources, { podIP: this.view().podIP, hostIP: this.context.hostIP }).catch(() => ({}));
        if (this.app.includes(slot) || isSidecar(slot.spec)) this.startProbes(slot);
      }
    }
    this.context.log({ msg: 'pod adopted', pod: this.podKey, containers: containers.length });
  }

  /**
   * The status to report now. Conditions keep their lastTransitionTime while
   * unchanged — measured against what this worker last wrote, not against
   * the pod as the watch last delivered it: that copy lags behind our own
   * writes, and comparing with it would make two writes in a row disagree
   * about the time forever.
   */
  private computeStatus(): Record<string, unknown> {
    const written = this.lastWritten?.conditions;
    const pod = written ? { ...this.pod, status: { ...this.pod.status, conditions: mergeConditions(written, this.pod.status?.conditions) } } : this.pod;
    return podStatus(pod, this.view(), this.context.runtime.name, this.context.now());
  }

  private async writeStatus(status: Record<string, unknown>): Promise<void> {
    if (this.halted || this.gone) return;
    // Compare without timestamps that move on their own.
    const json = JSON.stringify(status);
    if (json === this.lastStatusJson) return;
    try {
      await this.context.pods.patch(this.pod.metadata.namespace, this.pod.metadata.name!, { status }, 'merge', { subresource: 'status' });
      this.lastStatusJson = json;
      this.lastWritten = status as { conditions?: PodCondition[] };
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }

  /** Stops every container within the grace period and removes the sandbox. */
  private async teardown(graceSeconds: number): Promise<void> {
    const { runtime } = this.context;
    for (const slot of this.slots) {
      const id = slot.record.current?.id;
      if (id && slot.record.current?.state === 'running') await runtime.stopContainer(id, graceSeconds);
    }
    if (this.sandbox) {
      await runtime.stopPodSandbox(this.sandbox.id);
      await runtime.removePodSandbox(this.sandbox.id);
      // Gone: a retry of a teardown that failed further on does not remove it twice.
      this.sandbox = undefined;
    }
  }

  /** The node's part of a graceful deletion: stop, report, then let the API object go. */
  private async terminate(): Promise<void> {
    const pod = this.pod;
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const { runtime } = this.context;
    for (const slot of this.app) this.stopProbes(slot);
    for (const slot of this.slots) {
      const id = slot.record.current?.id;
      if (id && slot.record.current?.state === 'running') {
        this.event('Normal', 'Killing', `Stopping container ${slot.spec.name}`);
        const started = Date.now();
        const preStop = slot.spec.lifecycle?.preStop;
        if (preStop) {
          const failure = await runHook(preStop, this.probeTarget(slot), grace);
          if (failure !== undefined) this.event('Warning', 'FailedPreStopHook', `PreStopHook failed: ${failure}`);
        }
        // The hook's time counts against the grace period.
        await runtime.stopContainer(id, Math.max(0, grace - (Date.now() - started) / 1000));
        slot.record.current = (await runtime.containerStatus(id)) ?? slot.record.current;
      }
    }
    if (this.sandbox) await runtime.stopPodSandbox(this.sandbox.id);
    try {
      await this.context.pods.delete(pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
    }
  }
}
