/**
 * The extension points of a scheduling attempt, one small interface each,
 * after upstream's framework/interface.go. A plugin implements the ones it
 * needs; the profile's configuration says which run, in which order, and
 * with what score weight.
 *
 *   scheduling cycle (synchronous, one pod at a time):
 *     PreFilter → Filter (per node) → [PostFilter if no node fits]
 *     → PreScore → Score (per node) → NormalizeScore → Reserve → Permit
 *   binding cycle (asynchronous):
 *     PreBind → Bind → PostBind
 */
import type { Client, EventRecorder } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import type { CycleState } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import type { MaybeStatus, Status } from './status.js';
import type { Node, Pod } from '../types.js';

/** The nodes and their pods, as the scheduler currently knows them. Read-only for plugins. */
export interface Snapshot {
  list(): NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** Nodes with at least one pod that has (anti-)affinity terms. */
  havePodsWithAffinity(): NodeInfo[];
  havePodsWithRequiredAntiAffinity(): NodeInfo[];
}

export interface ObjectLister<T extends KubeObject = KubeObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(): T[];
}

export interface StorageListers {
  claims: ObjectLister;
  volumes: ObjectLister;
  classes: ObjectLister;
}

/** The objects whose selectors say which pods belong together (default topology spreading), and disruption budgets (preemption). */
export interface WorkloadListers {
  services: ObjectLister;
  replicaSets: ObjectLister;
  statefulSets: ObjectLister;
  disruptionBudgets: ObjectLister;
}

/** What plugins may use besides the pod: the snapshot, the API, events, the clock. */
export interface Handle {
  snapshot: Snapshot;
  client: Client;
  recorder: EventRecorder;
  now(): Date;
  /** Runs the profile's Filter plugins for a pod on a node (preemption's what-if checks). */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
  /** Runs the PreFilter extensions' AddPod/RemovePod (preemption simulates removing victims). */
  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status;
  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status;
  /** A pod held by a Permit plugin's Wait, for plugins to let go or turn away (undefined: not waiting). */
  waitingPod(uid: string): WaitingPod | undefined;
  /** Pods nominated to run on a node by an earlier preemption. */
  nominatedPodsFor(nodeName: string): Pod[];
  /** A namespace's labels (for affinity terms with a namespaceSelector); undefined if unknown. */
  namespaceLabels(name: string): Record<string, string> | undefined;
  /** Cached storage objects (claims, volumes, classes) from the scheduler's informers. */
  storage: StorageListers;
  workloads: WorkloadListers;
  parallelism: number;
}

/** A pod a Permit plugin told to wait: it binds once every waiting plugin allows it, or fails on a rejection or the timeout. */
export interface WaitingPod {
  pod: Pod;
  allow(plugin: string): void;
  reject(plugin: string, message: string): void;
}

export interface Plugin {
  readonly name: string;
}

/** A pod waiting in the queue, with what the queue knows of its attempts. */
export interface QueuedPodInfo {
  pod: Pod;
  /** When it entered the queue (or was last moved to active). */
  timestamp: number;
  attempts: number;
  initialAttemptTimestamp?: number;
  /** Plugins that rejected it last time (for the events that could help). */
  unschedulablePlugins: Set<string>;
  gated?: boolean;
}

export interface PreEnqueuePlugin extends Plugin {
  /** Whether the pod may enter the active queue at all (scheduling gates). */
  preEnqueue(pod: Pod): MaybeStatus;
}

export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreFilterResult {
  /** Only these nodes can possibly fit (undefined: all). */
  nodeNames?: Set<string>;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]): { result?: PreFilterResult; status?: Status } | MaybeStatus;
  /** Incremental updates of the PreFilter state when preemption adds or removes pods. */
  addPod?(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): MaybeStatus;
  removePod?(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): MaybeStatus;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): MaybeStatus;
}

/** Why each node was rejected, for PostFilter and the FailedScheduling message. */
export type NodeStatusMap = Map<string, Status>;

export interface PostFilterResult {
  nominatedNodeName?: string;
  status: Status;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, filtered: NodeStatusMap): Promise<PostFilterResult>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): MaybeStatus;
}

export interface NodeScore {
  name: string;
  score: number;
}

export const maxNodeScore = 100;

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number | Status;
  /** Rescales the raw scores into 0…maxNodeScore. */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): MaybeStatus;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): MaybeStatus | Promise<MaybeStatus>;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void | Promise<void>;
}

export interface PermitPlugin extends Plugin {
  /** Success, a rejection, or Wait with a timeout (another plugin or the timeout decides). */
  permit(state: CycleState, pod: Pod, nodeName: string): { status?: Status; timeoutMs?: number } | MaybeStatus;
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<MaybeStatus>;
}

export interface BindPlugin extends Plugin {
  /** Skip: let the next Bind plugin do it. */
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<MaybeStatus>;
}

export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void;
}

/** The cluster events that may make a pod a plugin rejected schedulable again. */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeUpdate'
  | 'NodeDelete'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete'
  | 'PvcAdd'
  | 'PvcUpdate'
  | 'PvAdd'
  | 'PvUpdate'
  | 'StorageClassAdd'
  | 'PvcDelete';

export interface EnqueueExtensions extends Plugin {
  eventsToRegister(): ClusterEvent[];
}

/** Builds a plugin from its arguments (pluginConfig) and the handle. */
export type PluginFactory = (args: Record<string, unknown> | undefined, handle: Handle) => Plugin;

export type { Node, Pod };
