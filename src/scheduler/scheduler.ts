/**
 * The scheduler: takes pending pods from the queue one at a time and binds
 * each to a node.
 *
 *   pop → scheduling cycle (synchronous):
 *          PreFilter → Filter over enough nodes (adaptive percentage, round
 *          robin start) → PreScore/Score → pick the best (ties at random)
 *          → assume in the cache → Reserve → Permit
 *       → binding cycle (asynchronous, the next pod does not wait):
 *          PreBind → Bind (`pods/binding`) → PostBind → "Scheduled" event
 *   no node fits → PostFilter (preemption) → PodScheduled=False with
 *          upstream's message and a FailedScheduling event → the pod waits
 *          in the queue for a cluster event that could help.
 *
 * Pods, nodes and their changes come from shared informers; the cache keeps
 * the nodes with their pods, the queue the pods still to place.
 */
import {
  namespacesResource,
  nodesResource,
  persistentVolumeClaimsResource,
  persistentVolumesResource,
  podDisruptionBudgetsResource,
  podsResource,
  replicaSetsResource,
  servicesResource,
  statefulSetsResource,
  storageClassesResource,
  timestamp,
  type Client,
  type EventRecorder,
  type SharedInformer,
} from '../client/index.js';
import type { InformerFactory } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';
import { isStatusError } from '../machinery/status.js';
import { SchedulerCache } from './cache.js';
import { buildFramework, defaultSchedulerName, type SchedulerConfiguration } from './config.js';
import { CycleState } from './framework/cycle-state.js';
import type { Framework } from './framework/framework.js';
import type { ClusterEvent, Handle, NodeStatusMap, PluginFactory, QueuedPodInfo, WaitingPod } from './framework/interface.js';
import { inTreeRegistry } from './registry.js';
import { PodInfo, type NodeInfo } from './framework/node-info.js';
import { Status, unresolvable } from './framework/status.js';
import { fitErrorMessage, type FitFailure } from './messages.js';
import { SchedulingQueue, podKey, type QueueOptions } from './queue/scheduling-queue.js';
import { InstrumentedFramework } from './metrics/instrumented-framework.js';
import { InstrumentedSchedulingQueue } from './metrics/instrumented-queue.js';
import type { SchedulerMetrics } from './metrics/scheduler-metrics.js';
import type { Node, Pod } from './types.js';
import { whenAborted } from '../machinery/abort.js';


const minFeasibleNodesToFind = 100;
const minFeasibleNodesPercentageToFind = 5;

/**
 * How many feasible nodes to find before scoring: all of a small cluster,
 * else a percentage that shrinks as the cluster grows (50 % − nodes/125,
 * at least 5 %, at least 100 nodes) — upstream's adaptive default.
 */
export function numFeasibleNodesToFind(percentage: number | undefined, numAllNodes: number): number {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let adaptive = percentage ?? 0;
  if (adaptive <= 0) adaptive = Math.max(minFeasibleNodesPercentageToFind, 50 - Math.trunc(numAllNodes / 125));
  if (adaptive >= 100) return numAllNodes;
  const numNodes = Math.trunc((numAllNodes * adaptive) / 100);
  return numNodes < minFeasibleNodesToFind ? minFeasibleNodesToFind : numNodes;
}

/** Whether anything but status and bookkeeping changed (upstream's isPodUpdated). */
function podChanged(previous: Pod, pod: Pod): boolean {
  const strip = (p: Pod) => ({ ...p, status: undefined, metadata: { ...p.metadata, resourceVersion: undefined, generation: undefined, managedFields: undefined } });
  return JSON.stringify(strip(previous)) !== JSON.stringify(strip(pod));
}


export interface SchedulerOptions {
  config?: SchedulerConfiguration;
  now?: () => Date;
  log?: (event: Record<string, unknown>) => void;
  /** Random numbers for breaking score ties (tests make it deterministic). */
  random?: () => number;
  /** Bindings in flight at most (default 64). */
  maxBindingsInFlight?: number;
  /** Out-of-tree plugins, by name, next to the in-tree ones (profiles enable them as any other). */
  registry?: Record<string, PluginFactory>;
  /** Where attempts, queues, extension points and plugins are recorded (src/scheduler/metrics/); none: nowhere. */
  metrics?: SchedulerMetrics;
}

export interface SchedulerStats {
  scheduled: number;
  unschedulable: number;
  errors: number;
  /** Milliseconds from popping a pod to its binding's answer, for every bound pod (benchmarks read it). */
  latenciesMs: number[];
  /** Milliseconds of each successful scheduling cycle (pop → node chosen and assumed). */
  cycleMs: number[];
}

interface ScheduleResult {
  host: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

class FitError extends Error {
  constructor(readonly failure: FitFailure) {
    super(fitErrorMessage(failure));
  }
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly profiles = new Map<string, Framework>();
  readonly stats: SchedulerStats = { scheduled: 0, unschedulable: 0, errors: 0, latenciesMs: [], cycleMs: [] };
  private readonly podInformer: SharedInformer<Pod>;
  private readonly nodeInformer: SharedInformer<Node>;
  private readonly namespaceInformer: SharedInformer<KubeObject>;
  private readonly claimInformer: SharedInformer<KubeObject>;
  private readonly volumeInformer: SharedInformer<KubeObject>;
  private readonly classInformer: SharedInformer<KubeObject>;
  private readonly workloadInformers: Record<'services' | 'replicaSets' | 'statefulSets' | 'disruptionBudgets', SharedInformer<KubeObject>>;
  private nextStartNodeIndex = 0;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly log: (event: Record<string, unknown>) => void;
  private readonly metrics: SchedulerMetrics | undefined;
  /** Bindings in flight, so stopping can wait for them. */
  private readonly bindings = new Set<Promise<void>>();
  /**
   * At most this many bindings in flight: beyond it the scheduling loop
   * waits, so a burst of pods does not turn into thousands of queued
   * requests (and seconds of latency) at the apiserver.
   */
  private readonly maxBindingsInFlight: number;
  /** Pods nominated to nodes by preemption: node → pod key → pod. Others must leave them room. */
  private readonly nominated = new Map<string, Map<string, Pod>>();
  private readonly nominatedNodeOf = new Map<string, string>();
  /** Pods held by Permit plugins (by uid), with the promise their binding waits on. */
  private readonly waitingPods = new Map<string, { handle: WaitingPod; decided: Promise<Status> }>();

  constructor(
    private readonly client: Client,
    informers: InformerFactory,
    private readonly recorder: EventRecorder,
    options: SchedulerOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.maxBindingsInFlight = options.maxBindingsInFlight ?? 64;
    this.log = options.log ?? (() => {});
    this.metrics = options.metrics;
    const config = options.config ?? {};
    const handle: Handle = {
      snapshot: this.cache,
      client,
      // With metrics, preemption's Preempted events are also counted as its victims.
      recorder: this.metrics?.preemption.recorderFor(recorder) ?? recorder,
      now: this.now,
      runFilterPlugins: (state, pod, nodeInfo) => this.frameworkFor(pod)!.runFilterPlugins(state, pod, nodeInfo),
      runPreFilterExtensionAddPod: (state, pod, added, nodeInfo) => this.frameworkFor(pod)!.runPreFilterExtensionAddPod(state, pod, added, nodeInfo),
      runPreFilterExtensionRemovePod: (state, pod, removed, nodeInfo) => this.frameworkFor(pod)!.runPreFilterExtensionRemovePod(state, pod, removed, nodeInfo),
      storage: {
        claims: { get: (ns, name) => this.claimInformer.lister.get(ns, name), list: () => this.claimInformer.lister.list() },
        volumes: { get: (_ns, name) => this.volumeInformer.lister.get(undefined, name), list: () => this.volumeInformer.lister.list() },
        classes: { get: (_ns, name) => this.classInformer.lister.get(undefined, name), list: () => this.classInformer.lister.list() },
      },
      workloads: {
        services: { get: (ns, name) => this.workloadInformers.services.lister.get(ns, name), list: () => this.workloadInformers.services.lister.list() },
        replicaSets: { get: (ns, name) => this.workloadInformers.replicaSets.lister.get(ns, name), list: () => this.workloadInformers.replicaSets.lister.list() },
        statefulSets: { get: (ns, name) => this.workloadInformers.statefulSets.lister.get(ns, name), list: () => this.workloadInformers.statefulSets.lister.list() },
        disruptionBudgets: { get: (ns, name) => this.workloadInformers.disruptionBudgets.lister.get(ns, name), list: () => this.workloadInformers.disruptionBudgets.lister.list() },
      },
      waitingPod: (uid) => this.waitingPods.get(uid)?.handle,
      nominatedPodsFor: (nodeName) => [...(this.nominated.get(nodeName)?.values() ?? [])],
      namespaceLabels: (name) => {
        const namespace = this.namespaceInformer.lister.get(undefined, name);
        return namespace ? (namespace.metadata.labels ?? {}) : undefined;
      },
      parallelism: 1,
    };
    for (const profile of config.profiles?.length ? config.profiles : [{}]) {
      const built = buildFramework(profile, config, handle, { ...inTreeRegistry, ...options.registry });
      const framework = this.metrics ? new InstrumentedFramework(built, this.metrics) : built;
      if (this.profiles.has(framework.schedulerName)) throw new Error(`duplicate profile for scheduler name "${framework.schedulerName}"`);
      framework.handle = handle;
      this.profiles.set(framework.schedulerName, framework);
    }
    // One queue for every profile, sorted by the first profile's QueueSort (upstream requires them all to agree).
    const first = [...this.profiles.values()][0];
    const events = new Map<string, Set<ClusterEvent>>();
    for (const framework of this.profiles.values()) {
      for (const plugin of framework.enqueueExtensions()) events.set(plugin.name, new Set(plugin.eventsToRegister()));
    }
    const queueOptions: QueueOptions = {
      less: (a, b) => first.plugins.queueSort!.less(a, b),
      preEnqueue: (pod) => this.frameworkFor(pod)?.runPreEnqueuePlugins(pod).isSuccess() ?? false,
      initialBackoffMs: (config.podInitialBackoffSeconds ?? 1) * 1000,
      maxBackoffMs: (config.podMaxBackoffSeconds ?? 10) * 1000,
      now: () => this.now().getTime(),
      eventsFor: (plugin) => events.get(plugin),
    };
    this.queue = this.metrics ? new InstrumentedSchedulingQueue(queueOptions, this.metrics) : new SchedulingQueue(queueOptions);
    this.podInformer = informers.informerFor<Pod>(podsResource);
    this.nodeInformer = informers.informerFor<Node>(nodesResource);
    this.namespaceInformer = informers.informerFor<KubeObject>(namespacesResource);
    this.claimInformer = informers.informerFor<KubeObject>(persistentVolumeClaimsResource);
    this.volumeInformer = informers.informerFor<KubeObject>(persistentVolumesResource);
    this.classInformer = informers.informerFor<KubeObject>(storageClassesResource);
    this.workloadInformers = {
      services: informers.informerFor<KubeObject>(servicesResource),
      replicaSets: informers.informerFor<KubeObject>(replicaSetsResource),
      statefulSets: informers.informerFor<KubeObject>(statefulSetsResource),
      disruptionBudgets: informers.informerFor<KubeObject>(podDisruptionBudgetsResource),
    };
    this.wireInformers();
  }

  private frameworkFor(pod: Pod): Framework | undefined {
    return this.profiles.get(pod.spec?.schedulerName || defaultSchedulerName);
  }

  /** Pending pods of one of our profiles go to the queue; bound pods to the cache. */
  private wireInformers(): void {
    const responsible = (pod: Pod) => this.profiles.has(pod.spec?.schedulerName || defaultSchedulerName);
    const pending = (pod: Pod) => !pod.spec?.nodeName && !pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
    this.podInformer.addEventHandler({
      add: (pod) => {
        this.trackNomination(pod);
        if (pod.spec?.nodeName) {
          this.cache.addPod(pod);
          this.queue.moveOnEvent('AssignedPodAdd');
        } else if (pending(pod) && responsible(pod)) this.queue.add(pod);
      },
      update: (previous, pod) => {
        this.trackNomination(pod);
        if (pod.spec?.nodeName) {
          const newlyBound = !previous.spec?.nodeName;
          if (newlyBound) this.queue.delete(pod);
          this.cache.updatePod(pod);
          // Status heartbeats change nothing a plugin looks at; a finished pod frees its resources.
          const finished = (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') && previous.status?.phase !== pod.status?.phase;
          if (newlyBound) this.queue.moveOnEvent('AssignedPodAdd');
          else if (finished) this.queue.moveOnEvent('AssignedPodDelete');
          else if (podChanged(previous, pod)) this.queue.moveOnEvent('AssignedPodUpdate');
        } else if (pending(pod) && responsible(pod)) {
          // Status-only changes (our own PodScheduled=False among them) give no new reason to retry.
          if (podChanged(previous, pod)) this.queue.update(pod);
        } else this.queue.delete(pod);
      },
      delete: (pod) => {
        this.setNomination(pod, undefined);
        if (pod.spec?.nodeName || this.cache.isAssumed(pod)) {
          this.cache.removePod(pod);
          this.queue.moveOnEvent('AssignedPodDelete');
        }
        this.queue.delete(pod);
      },
    });
    // Storage changes can make a pod waiting for a volume schedulable.
    this.claimInformer.addEventHandler({ add: () => this.queue.moveOnEvent('PvcAdd'), update: () => this.queue.moveOnEvent('PvcUpdate'), delete: () => this.queue.moveOnEvent('PvcDelete') });
    this.volumeInformer.addEventHandler({ add: () => this.queue.moveOnEvent('PvAdd'), update: () => this.queue.moveOnEvent('PvUpdate') });
    this.classInformer.addEventHandler({ add: () => this.queue.moveOnEvent('StorageClassAdd') });
    this.nodeInformer.addEventHandler({
      add: (node) => {
        this.cache.addNode(node);
        this.queue.moveOnEvent('NodeAdd');
      },
      update: (_previous, node) => {
        this.cache.updateNode(node);
        this.queue.moveOnEvent('NodeUpdate');
      },
      delete: (node) => {
        this.cache.removeNode(node);
        this.queue.moveOnEvent('NodeDelete');
      },
    });
  }

  /** A pending pod's status.nominatedNodeName, as the API shows it; bound or finished pods are nominated nowhere. */
  private trackNomination(pod: Pod): void {
    const pending = !pod.spec?.nodeName && !pod.metadata.deletionTimestamp;
    this.setNomination(pod, pending ? pod.status?.nominatedNodeName || undefined : undefined);
  }

  private setNomination(pod: Pod, nodeName: string | undefined): void {
    const key = podKey(pod);
    const previous = this.nominatedNodeOf.get(key);
    if (previous !== undefined) {
      this.nominated.get(previous)?.delete(key);
      if (this.nominated.get(previous)?.size === 0) this.nominated.delete(previous);
      this.nominatedNodeOf.delete(key);
    }
    if (nodeName === undefined) return;
    let pods = this.nominated.get(nodeName);
    if (!pods) this.nominated.set(nodeName, (pods = new Map()));
    pods.set(key, pod);
    this.nominatedNodeOf.set(key, nodeName);
  }

  /**
   * Filter on a node, leaving room for the pods nominated to it with at
   * least this pod's priority: the node must fit the pod with them added,
   * and without them (in case they were what made it fit).
   */
  private filterWithNominatedPods(framework: Framework, state: CycleState, pod: Pod, node: NodeInfo): Status {
    const nominated = [...(this.nominated.get(node.name)?.values() ?? [])].filter(
      (other) => podKey(other) !== podKey(pod) && (other.spec?.priority ?? 0) >= (pod.spec?.priority ?? 0),
    );
    if (nominated.length) {
      const withState = state.clone();
      const withNode = node.clone();
      for (const other of nominated) {
        withNode.addPod(new PodInfo({ ...other, spec: { ...other.spec, nodeName: node.name } }));
        const status = framework.runPreFilterExtensionAddPod(withState, pod, other, withNode);
        if (!status.isSuccess()) return status;
      }
      const status = framework.runFilterPlugins(withState, pod, withNode);
      if (!status.isSuccess()) return status;
    }
    return framework.runFilterPlugins(state, pod, node);
  }

  /** Schedules pods until the signal aborts; waits for bindings in flight before returning. */
  async run(signal: AbortSignal): Promise<void> {
    whenAborted(signal, () => this.queue.close());
    await Promise.all(
      [this.podInformer, this.nodeInformer, this.namespaceInformer, this.claimInformer, this.volumeInformer, this.classInformer, ...Object.values(this.workloadInformers)].map((informer) =>
        informer.waitForSync(signal),
      ),
    );
    for (;;) {
      const info = await this.queue.pop();
      if (!info) break;
      const started = performance.now();
      try {
        await this.scheduleOne(info);
      } catch (err) {
        this.stats.errors++;
        this.recordAttempt('error', this.frameworkFor(info.pod)?.schedulerName ?? defaultSchedulerName, started);
        this.log({ msg: 'scheduling attempt failed', pod: podKey(info.pod), error: (err as Error).message });
        this.queue.requeueAfterError(info);
      }
    }
    // Stopping: pods still held at Permit are turned away rather than waited for.
    for (const { handle } of this.waitingPods.values()) handle.reject('scheduler', 'the scheduler is stopping');
    await Promise.all([...this.bindings]);
  }

  /** One pod's scheduling cycle; its binding cycle continues in the background. */
  async scheduleOne(info: QueuedPodInfo): Promise<void> {
    const cycle = this.queue.currentCycle;
    const started = performance.now();
    // The queue may hold an old copy: act on what the informer knows now.
    const pod = this.podInformer.lister.get(info.pod.metadata.namespace, info.pod.metadata.name!);
    if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp || pod.metadata.uid !== info.pod.metadata.uid) {
      this.queue.done(info.pod);
      return;
    }
    info.pod = pod;
    const framework = this.frameworkFor(pod);
    if (!framework) {
      this.queue.done(pod);
      return;
    }
    const state = new CycleState();
    let result: ScheduleResult;
    try {
      result = this.schedulePod(framework, state, pod);
    } catch (err) {
      if (!(err instanceof FitError)) throw err;
      await this.handleFitError(framework, state, info, err, cycle, started);
      return;
    }

    // Assume, reserve, permit — then bind without holding up the next pod.
    const assumed = this.cache.assumePod(pod, result.host);
    const reserved = await framework.runReservePluginsReserve(state, assumed, result.host);
    if (!reserved.isSuccess()) {
      await this.failBinding(framework, state, info, assumed, result.host, reserved, started);
      return;
    }
    const permit = framework.runPermitPlugins(state, assumed, result.host);
    if (!permit.status.isSuccess() && permit.status.code !== 'Wait') {
      await this.failBinding(framework, state, info, assumed, result.host, permit.status, started);
      return;
    }
    if (permit.status.code === 'Wait') this.holdForPermit(assumed, permit.waitingOn, permit.timeoutMs);
    this.stats.cycleMs.push(performance.now() - started);
    const binding = this.bindingCycle(framework, state, info, assumed, result.host, started).finally(() => this.bindings.delete(binding));
    this.bindings.add(binding);
    while (this.bindings.size >= this.maxBindingsInFlight) await Promise.race(this.bindings);
  }

  /** Finds the node for a pod, or throws a FitError saying why there is none. */
  schedulePod(framework: Framework, state: CycleState, pod: Pod): ScheduleResult {
    const allNodes = this.cache.list();
    if (allNodes.length === 0) throw new FitError({ numAllNodes: 0, nodeStatuses: new Map() });
    const { feasible, statuses, evaluated } = this.findNodesThatFit(framework, state, pod, allNodes);
    if (feasible.length === 0) throw new FitError({ numAllNodes: allNodes.length, nodeStatuses: statuses.map, preFilterMsg: statuses.preFilterMsg });
    if (feasible.length === 1) return { host: feasible[0].name, evaluatedNodes: evaluated, feasibleNodes: 1 };
    const preScore = framework.runPreScorePlugins(state, pod, feasible);
    if (!preScore.isSuccess()) throw new Error(`running PreScore plugin ${preScore.plugin}: ${preScore.message()}`);
    const { scores, status } = framework.runScorePlugins(state, pod, feasible);
    if (!status.isSuccess()) throw new Error(`running Score plugin ${status.plugin}: ${status.message()}`);
    return { host: this.selectHost(scores), evaluatedNodes: evaluated, feasibleNodes: feasible.length };
  }

  private findNodesThatFit(
    framework: Framework,
    state: CycleState,
    pod: Pod,
    allNodes: NodeInfo[],
  ): { feasible: NodeInfo[]; statuses: { map: NodeStatusMap; preFilterMsg?: string }; evaluated: number } {
    const map: NodeStatusMap = new Map();
    const preFilter = framework.runPreFilterPlugins(state, pod, allNodes);
    if (!preFilter.status.isSuccess()) {
      if (preFilter.status.code === 'Error') throw new Error(`running PreFilter plugin ${preFilter.status.plugin}: ${preFilter.status.message()}`);
      // A PreFilter rejection holds for every node.
      for (const node of allNodes) map.set(node.name, preFilter.status);
      return { feasible: [], statuses: { map, preFilterMsg: preFilter.status.message() }, evaluated: 0 };
    }
    let candidates = allNodes;
    const nodeNames = preFilter.result?.nodeNames;
    if (nodeNames) {
      candidates = [...nodeNames].map((name) => this.cache.get(name)).filter((n): n is NodeInfo => n !== undefined);
      const outside = unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]");
      for (const node of allNodes) if (!nodeNames.has(node.name)) map.set(node.name, outside);
    }
    const wanted = numFeasibleNodesToFind(framework.percentageOfNodesToScore, candidates.length);
    const feasible: NodeInfo[] = [];
    const start = candidates.length ? this.nextStartNodeIndex % candidates.length : 0;
    let processed = 0;
    // A pod nominated by an earlier preemption tries its node first.
    const nominatedNode = pod.status?.nominatedNodeName ? this.cache.get(pod.status.nominatedNodeName) : undefined;
    if (nominatedNode && (!nodeNames || nodeNames.has(nominatedNode.name))) {
      if (this.filterWithNominatedPods(framework, state, pod, nominatedNode).isSuccess()) return { feasible: [nominatedNode], statuses: { map }, evaluated: 1 };
    }
    for (; processed < candidates.length && feasible.length < wanted; processed++) {
      const node = candidates[(start + processed) % candidates.length];
      const status = this.filterWithNominatedPods(framework, state, pod, node);
      if (status.isSuccess()) feasible.push(node);
      else if (status.code === 'Error') throw new Error(`running Filter plugin ${status.plugin}: ${status.message()}`);
      else map.set(node.name, status);
    }
    this.nextStartNodeIndex = candidates.length ? (start + processed) % candidates.length : 0;
    return { feasible, statuses: { map }, evaluated: processed };
  }

  /** The highest score; among equals, one at random (reservoir sampling, as upstream). */
  private selectHost(scores: { name: string; score: number }[]): string {
    let best = scores[0];
    let ties = 1;
    for (let i = 1; i < scores.length; i++) {
      const candidate = scores[i];
      if (candidate.score > best.score) {
        best = candidate;
        ties = 1;
      } else if (candidate.score === best.score) {
        ties++;
        if (this.random() * ties < 1) best = candidate;
      }
    }
    return best.name;
  }

  private async handleFitError(framework: Framework, state: CycleState, info: QueuedPodInfo, fitError: FitError, cycle: number, started: number): Promise<void> {
    const failure = fitError.failure;
    const rejectedBy = new Set<string>();
    for (const status of failure.nodeStatuses.values()) if (status.plugin) rejectedBy.add(status.plugin);
    let nominatedNodeName: string | undefined;
    if (failure.numAllNodes > 0 && framework.plugins.postFilter.length) {
      const post = await framework.runPostFilterPlugins(state, info.pod, failure.nodeStatuses);
      if (post.status.isSuccess()) {
        nominatedNodeName = post.nominatedNodeName;
        if (nominatedNodeName) this.setNomination(info.pod, nominatedNodeName);
      }
      else if (post.status.reasons.length) failure.postFilterMsg = post.status.message();
    }
    const message = fitErrorMessage(failure);
    this.stats.unschedulable++;
    this.recordAttempt('unschedulable', framework.schedulerName, started);
    this.recorder.event(info.pod, 'Warning', 'FailedScheduling', message);
    await this.setUnschedulable(info.pod, message, nominatedNodeName);
    this.queue.requeueUnschedulable(info, rejectedBy, cycle);
  }

  /** Writes PodScheduled=False (and a nominated node) unless the pod already says exactly that. */
  private async setUnschedulable(pod: Pod, message: string, nominatedNodeName: string | undefined): Promise<void> {
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const sameNomination = (pod.status?.nominatedNodeName ?? undefined) === nominatedNodeName || nominatedNodeName === undefined;
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message && sameNomination) return;
    const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: timestamp(this.now()) };
    const patch: Record<string, unknown> = { status: { conditions: [condition], ...(nominatedNodeName ? { nominatedNodeName } : {}) } };
    try {
      await this.client.resource<Pod>(podsResource).patch(pod.metadata.namespace, pod.metadata.name!, patch, 'strategic', { subresource: 'status' });
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) this.log({ msg: 'could not update pod status', pod: podKey(pod), error: (err as Error).message });
    }
  }

  /**
   * Holds a pod Permit plugins told to wait: each of them must allow it
   * (through Handle.waitingPod), and one rejection or the timeout turns it
   * away.
   */
  private holdForPermit(pod: Pod, plugins: string[], timeoutMs: number): void {
    const waitingFor = new Set(plugins);
    let settle!: (status: Status) => void;
    const decided = new Promise<Status>((resolve) => (settle = resolve));
    const timer = setTimeout(() => settle(new Status('Unschedulable', [`rejected due to timeout after waiting ${timeoutMs}ms at permit`])), timeoutMs);
    const handle: WaitingPod = {
      pod,
      allow: (plugin) => {
        waitingFor.delete(plugin);
        if (waitingFor.size === 0) settle(new Status('Success'));
      },
      reject: (plugin, message) => settle(new Status('Unschedulable', [message]).withPlugin(plugin)),
    };
    this.waitingPods.set(pod.metadata.uid!, {
      handle,
      decided: decided.finally(() => {
        clearTimeout(timer);
        this.waitingPods.delete(pod.metadata.uid!);
      }),
    });
  }

  private async bindingCycle(framework: Framework, state: CycleState, info: QueuedPodInfo, assumed: Pod, host: string, started: number): Promise<void> {
    try {
      const waiting = this.waitingPods.get(assumed.metadata.uid!);
      if (waiting) {
        const permit = await waiting.decided;
        if (!permit.isSuccess()) return await this.failBinding(framework, state, info, assumed, host, permit, started);
      }
      const preBind = await framework.runPreBindPlugins(state, assumed, host);
      if (!preBind.isSuccess()) return await this.failBinding(framework, state, info, assumed, host, preBind, started);
      const bind = await framework.runBindPlugins(state, assumed, host);
      if (!bind.isSuccess()) return await this.failBinding(framework, state, info, assumed, host, bind, started);
      this.setNomination(assumed, undefined);
      this.stats.scheduled++;
      this.stats.latenciesMs.push(performance.now() - started);
      this.recordAttempt('scheduled', framework.schedulerName, started);
      const firstAttempt = info.initialAttemptTimestamp;
      this.metrics?.podScheduled(info.attempts, firstAttempt === undefined ? undefined : (this.now().getTime() - firstAttempt) / 1000);
      this.recorder.event(assumed, 'Normal', 'Scheduled', `Successfully assigned ${assumed.metadata.namespace}/${assumed.metadata.name} to ${host}`);
      framework.runPostBindPlugins(state, assumed, host);
      this.queue.done(assumed);
    } catch (err) {
      await this.failBinding(framework, state, info, assumed, host, new Status('Error', [(err as Error).message]), started);
    }
  }

  /** Undoes an assumed placement: unreserve, forget, and try the pod again after its backoff. */
  private async failBinding(framework: Framework, state: CycleState, info: QueuedPodInfo, assumed: Pod, host: string, status: Status, started: number): Promise<void> {
    await framework.runReservePluginsUnreserve(state, assumed, host);
    this.cache.forgetPod(assumed);
    this.stats.errors++;
    // A plugin's rejection (Reserve, Permit, PreBind) makes the attempt unschedulable, anything else an error — as upstream.
    this.recordAttempt(status.isRejected() ? 'unschedulable' : 'error', framework.schedulerName, started);
    const message = status.code === 'Error' ? `Binding rejected: ${status.message()}` : status.message();
    this.recorder.event(info.pod, 'Warning', 'FailedScheduling', message);
    this.log({ msg: 'binding failed', pod: podKey(info.pod), node: host, error: status.message() });
    this.queue.requeueAfterError(info);
    // The pod's node is free again: others may fit now.
    this.queue.moveOnEvent('AssignedPodDelete');
  }

  /** scheduler_schedule_attempts_total and its duration, from the attempt's start (performance.now()). */
  private recordAttempt(result: 'scheduled' | 'unschedulable' | 'error', profile: string, started: number): void {
    this.metrics?.attempt(result, profile, (performance.now() - started) / 1000);
  }
}
