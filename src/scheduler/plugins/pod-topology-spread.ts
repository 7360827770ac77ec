/**
 * PodTopologySpread: keeps matching pods evenly spread over topology
 * domains (zones, nodes, any node label).
 *
 * For a constraint, a domain's count is the number of pods in the pod's
 * namespace that the constraint's selector matches, on eligible nodes
 * (those the pod's node affinity accepts, with nodeAffinityPolicy Honor;
 * and whose taints it tolerates, with nodeTaintsPolicy Honor).
 *   - Filter (whenUnsatisfiable: DoNotSchedule): placing the pod in a
 *     domain must keep count + 1 − (smallest count) ≤ maxSkew; the smallest
 *     count is 0 while fewer than minDomains domains exist. Nodes without
 *     the topology label are out.
 *   - Score (ScheduleAnyway): fewer matching pods in the node's domains is
 *     better, each constraint weighted by log(domains + 2), then inverted so
 *     the emptiest domain scores highest.
 */
import { nodeMatchesPod, untoleratedTaints } from '../../api/core/index.js';
import { selectorFromLabelSelector, type LabelSelector, type Selector } from '../../machinery/labels.js';
import type { KubeObject } from '../../machinery/object.js';
import { StateKey, type CycleState } from '../framework/cycle-state.js';
import type { EnqueueExtensions, FilterPlugin, Handle, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interface.js';
import { maxNodeScore } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { skip, unresolvable, unschedulable } from '../framework/status.js';
import type { Pod, TopologySpreadConstraint } from '../types.js';
import { topologyPair } from './affinity-terms.js';

export const name = 'PodTopologySpread';
export const reasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const reasonNodeLabelNotMatch = `${reasonConstraintsNotMatch} (missing required label)`;
const hostnameKey = 'kubernetes.io/hostname';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorTaints: boolean;
}

/** Upstream's cluster-level defaults (`defaultingType: System`), for pods that state no constraints. */
export const systemDefaultConstraints: TopologySpreadConstraint[] = [
  { maxSkew: 3, topologyKey: hostnameKey, whenUnsatisfiable: 'ScheduleAnyway' },
  { maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
];

/**
 * The selector that says which pods belong with this one, for the default
 * constraints: the union of the selectors of the Services that select it
 * and of its owning ReplicaSet or StatefulSet (upstream's DefaultSelector).
 */
export function defaultSelector(pod: Pod, handle: Pick<Handle, 'workloads'>): LabelSelector | undefined {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: NonNullable<LabelSelector['matchExpressions']> = [];
  const labels = pod.metadata.labels ?? {};
  for (const service of handle.workloads.services.list() as (KubeObject & { spec?: { selector?: Record<string, string> } })[]) {
    const selector = service.spec?.selector;
    if (service.metadata.namespace !== pod.metadata.namespace || !selector || !Object.keys(selector).length) continue;
    if (Object.entries(selector).every(([k, v]) => labels[k] === v)) Object.assign(matchLabels, selector);
  }
  const owner = pod.metadata.ownerReferences?.find((r) => r.controller);
  const ownerObject =
    owner?.kind === 'ReplicaSet' ? handle.workloads.replicaSets.get(pod.metadata.namespace, owner.name) : owner?.kind === 'StatefulSet' ? handle.workloads.statefulSets.get(pod.metadata.namespace, owner.name) : undefined;
  const ownerSelector = (ownerObject as { spec?: { selector?: LabelSelector } } | undefined)?.spec?.selector;
  if (ownerSelector) {
    Object.assign(matchLabels, ownerSelector.matchLabels);
    matchExpressions.push(...(ownerSelector.matchExpressions ?? []));
  }
  if (!Object.keys(matchLabels).length && !matchExpressions.length) return undefined;
  return { matchLabels, matchExpressions };
}

/** The pod's constraints of one kind, with their selectors (and matchLabelKeys) resolved. */
function constraintsOf(pod: Pod, action: string, declared = pod.spec?.topologySpreadConstraints ?? []): Constraint[] {
  return declared
    .filter((c: TopologySpreadConstraint) => c.whenUnsatisfiable === action)
    .map((c) => {
      const matchLabels = { ...c.labelSelector?.matchLabels };
      for (const key of c.matchLabelKeys ?? []) {
        const value = pod.metadata.labels?.[key];
        if (value !== undefined) matchLabels[key] = value;
      }
      const selector = c.labelSelector || c.matchLabelKeys?.length ? selectorFromLabelSelector({ ...c.labelSelector, matchLabels }) : selectorFromLabelSelector(undefined);
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector,
        minDomains: c.minDomains ?? 1,
        honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
        honorTaints: c.nodeTaintsPolicy === 'Honor',
      };
    });
}

function countMatching(nodeInfo: NodeInfo, selector: Selector, namespace: string | undefined): number {
  let count = 0;
  for (const info of nodeInfo.pods.values()) {
    const pod = info.pod;
    if (pod.metadata.namespace !== namespace || pod.metadata.deletionTimestamp) continue;
    if (selector.matches(pod.metadata.labels ?? {})) count++;
  }
  return count;
}

/** Whether a node takes part in a constraint's counting for this pod. */
function eligible(constraint: Constraint, pod: Pod, nodeInfo: NodeInfo): boolean {
  const node = nodeInfo.node;
  if (!node) return false;
  if (constraint.honorNodeAffinity && !nodeMatchesPod(pod.spec ?? {}, node)) return false;
  if (constraint.honorTaints && untoleratedTaints(node.spec?.taints, pod.spec?.tolerations, ['NoSchedule', 'NoExecute']).length) return false;
  return true;
}

function hasAllKeys(nodeInfo: NodeInfo, constraints: Constraint[]): boolean {
  const labels = nodeInfo.node?.metadata.labels ?? {};
  return constraints.every((c) => labels[c.topologyKey] !== undefined);
}

class FilterState {
  constructor(
    readonly constraints: Constraint[],
    /** Matching pods per (key, value) domain. */
    readonly counts: Map<string, number>,
    /** Domains per topology key. */
    readonly domains: Map<string, Set<string>>,
  ) {}

  clone(): FilterState {
    return new FilterState(this.constraints, new Map(this.counts), new Map([...this.domains].map(([k, v]) => [k, new Set(v)])));
  }

  /** The smallest count over a key's domains (0 while there are fewer than minDomains). */
  minCount(constraint: Constraint): number {
    const domains = this.domains.get(constraint.topologyKey) ?? new Set();
    if (domains.size < constraint.minDomains) return 0;
    let min = Infinity;
    for (const value of domains) min = Math.min(min, this.counts.get(topologyPair(constraint.topologyKey, value)) ?? 0);
    return min === Infinity ? 0 : min;
  }
}

interface ScoreState {
  constraints: Constraint[];
  counts: Map<string, number>;
  weights: number[];
  ignored: Set<string>;
}

const filterKey = new StateKey<FilterState>(`PreFilter${name}`);
const scoreKey = new StateKey<ScoreState>(`PreScore${name}`);

export interface PodTopologySpreadArgs {
  /** System (default): the built-in defaults; List: `defaultConstraints`. */
  defaultingType?: 'System' | 'List';
  defaultConstraints?: TopologySpreadConstraint[];
}

export function podTopologySpread(args: PodTopologySpreadArgs | undefined, handle: Handle): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const defaultConstraints = (args?.defaultingType ?? 'System') === 'System' ? systemDefaultConstraints : args?.defaultConstraints?.length ? args.defaultConstraints : undefined;
  /**
   * Matching-pod counts per node, remembered with the node's generation: a
   * node whose pods did not change since the last cycle is not recounted.
   * Keyed by selector and namespace; dropped when it grows past a bound.
   */
  const remembered = new Map<string, Map<string, { generation: number; count: number }>>();
  const countOn = (nodeInfo: NodeInfo, selector: Selector, namespace: string | undefined): number => {
    const key = `${namespace}\u0000${selector.toString()}`;
    let perNode = remembered.get(key);
    if (!perNode) {
      if (remembered.size > 1000) remembered.clear();
      remembered.set(key, (perNode = new Map()));
    }
    const known = perNode.get(nodeInfo.name);
    if (known && known.generation === nodeInfo.generation) return known.count;
    const count = countMatching(nodeInfo, selector, namespace);
    perNode.set(nodeInfo.name, { generation: nodeInfo.generation, count });
    return count;
  };
  const update = (cycle: CycleState, pod: Pod, other: Pod, nodeInfo: NodeInfo, sign: number) => {
    const state = cycle.read(filterKey);
    if (!state || other.metadata.namespace !== pod.metadata.namespace || !hasAllKeys(nodeInfo, state.constraints)) return;
    for (const c of state.constraints) {
      if (!eligible(c, pod, nodeInfo) || !c.selector.matches(other.metadata.labels ?? {})) continue;
      const key = topologyPair(c.topologyKey, nodeInfo.node!.metadata.labels![c.topologyKey]);
      state.counts.set(key, (state.counts.get(key) ?? 0) + sign);
    }
  };
  return {
    name,
    preFilter(cycle, pod, nodes) {
      const constraints = constraintsOf(pod, 'DoNotSchedule');
      if (!constraints.length) return skip();
      const state = new FilterState(constraints, new Map(), new Map());
      for (const nodeInfo of nodes) {
        if (!hasAllKeys(nodeInfo, constraints)) continue;
        const labels = nodeInfo.node!.metadata.labels!;
        for (const c of constraints) {
          if (!eligible(c, pod, nodeInfo)) continue;
          const value = labels[c.topologyKey];
          let domains = state.domains.get(c.topologyKey);
          if (!domains) state.domains.set(c.topologyKey, (domains = new Set()));
          domains.add(value);
          const key = topologyPair(c.topologyKey, value);
          state.counts.set(key, (state.counts.get(key) ?? 0) + countOn(nodeInfo, c.selector, pod.metadata.namespace));
        }
      }
      cycle.write(filterKey, state);
      return undefined;
    },
    addPod(cycle, pod, added, nodeInfo) {
      update(cycle, pod, added, nodeInfo, 1);
      return undefined;
    },
    removePod(cycle, pod, removed, nodeInfo) {
      update(cycle, pod, removed, nodeInfo, -1);
      return undefined;
    },
    filter(cycle, pod, nodeInfo) {
      const state = cycle.read(filterKey);
      if (!state) return undefined;
      const labels = nodeInfo.node?.metadata.labels ?? {};
      for (const c of state.constraints) {
        const value = labels[c.topologyKey];
        if (value === undefined) return unresolvable(reasonNodeLabelNotMatch);
        const self = c.selector.matches(pod.metadata.labels ?? {}) ? 1 : 0;
        const count = state.counts.get(topologyPair(c.topologyKey, value)) ?? 0;
        if (count + self - state.minCount(c) > c.maxSkew) return unschedulable(reasonConstraintsNotMatch);
      }
      return undefined;
    },
    preScore(cycle, pod, nodes) {
      let constraints = constraintsOf(pod, 'ScheduleAnyway');
      if (!pod.spec?.topologySpreadConstraints?.length && defaultConstraints) {
        // No constraints of its own: spread it with the pods of its Services and owner, if it has any.
        const selector = defaultSelector(pod, handle);
        if (selector) constraints = constraintsOf(pod, 'ScheduleAnyway', defaultConstraints.map((c) => ({ ...c, labelSelector: selector })));
      }
      if (!constraints.length) return skip();
      const state: ScoreState = { constraints, counts: new Map(), weights: [], ignored: new Set() };
      const domains = constraints.map(() => new Set<string>());
      // The system defaults are lenient: a node without a zone label still counts by hostname.
      const requireAllKeys = Boolean(pod.spec?.topologySpreadConstraints?.length) || defaultConstraints !== systemDefaultConstraints;
      for (const nodeInfo of nodes) {
        if (requireAllKeys && !hasAllKeys(nodeInfo, constraints)) {
          state.ignored.add(nodeInfo.name);
          continue;
        }
        const labels = nodeInfo.node?.metadata.labels ?? {};
        constraints.forEach((c, i) => {
          if (labels[c.topologyKey] !== undefined) domains[i].add(labels[c.topologyKey]);
        });
      }
      // Counts cover every eligible node in the cluster (not only the feasible ones), in the domains the feasible nodes are in.
      const all = handle.snapshot.list();
      for (const nodeInfo of all) {
        if (requireAllKeys && !hasAllKeys(nodeInfo, constraints)) continue;
        const labels = nodeInfo.node?.metadata.labels ?? {};
        constraints.forEach((c, i) => {
          if (c.topologyKey === hostnameKey || labels[c.topologyKey] === undefined || !domains[i].has(labels[c.topologyKey]) || !eligible(c, pod, nodeInfo)) return;
          const key = topologyPair(c.topologyKey, labels[c.topologyKey]);
          state.counts.set(key, (state.counts.get(key) ?? 0) + countOn(nodeInfo, c.selector, pod.metadata.namespace));
        });
      }
      state.weights = constraints.map((c, i) => Math.log((c.topologyKey === hostnameKey ? nodes.length - state.ignored.size : domains[i].size) + 2));
      cycle.write(scoreKey, state);
      return undefined;
    },
    score(cycle, pod, nodeInfo) {
      const state = cycle.read(scoreKey);
      if (!state || state.ignored.has(nodeInfo.name)) return 0;
      const labels = nodeInfo.node?.metadata.labels ?? {};
      let score = 0;
      state.constraints.forEach((c, i) => {
        const value = labels[c.topologyKey];
        if (value === undefined) return;
        const count = c.topologyKey === hostnameKey ? countOn(nodeInfo, c.selector, pod.metadata.namespace) : (state.counts.get(topologyPair(c.topologyKey, value)) ?? 0);
        score += count * state.weights[i] + (c.maxSkew - 1);
      });
      return Math.round(score);
    },
    normalizeScore(cycle, _pod, scores) {
      const state = cycle.read(scoreKey);
      if (!state) return undefined;
      let min = Infinity;
      let max = 0;
      for (const s of scores) {
        if (state.ignored.has(s.name)) continue;
        min = Math.min(min, s.score);
        max = Math.max(max, s.score);
      }
      for (const s of scores) {
        if (state.ignored.has(s.name)) s.score = 0;
        else if (max === 0) s.score = maxNodeScore;
        else s.score = Math.trunc((maxNodeScore * (max + min - s.score)) / max);
      }
      return undefined;
    },
    eventsToRegister: () => ['AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NodeAdd', 'NodeUpdate'],
  };
}
