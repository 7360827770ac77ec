/**
 * NodeResourcesFit. Filter: the pod's requests (CPU, memory, ephemeral
 * storage, extended resources) must fit in what the node's allocatable has
 * left, and the node must have room for one more pod. Score, by strategy:
 *   - LeastAllocated (default): prefer emptier nodes — spreads pods;
 *   - MostAllocated: prefer fuller nodes — packs pods;
 *   - RequestedToCapacityRatio: a piecewise-linear shape over utilization.
 * Scoring counts containers without requests as 100m CPU / 200 MiB.
 */
import { StateKey } from '../framework/cycle-state.js';
import { PodInfo, type NodeInfo } from '../framework/node-info.js';
import type { EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interface.js';
import { maxNodeScore } from '../framework/interface.js';
import { unschedulable } from '../framework/status.js';
import type { Resources } from '../resources.js';

export const name = 'NodeResourcesFit';

export interface ResourceSpec {
  name: string;
  weight?: number;
}

export interface NodeResourcesFitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape?: { utilization: number; score: number }[] };
  };
}

const preFilterKey = new StateKey<PodInfo>(`PreFilter${name}`);

/** The reasons a pod does not fit a node's free resources (empty: it fits). */
export function insufficientResources(request: Resources, nodeInfo: NodeInfo, ignored: (name: string) => boolean = () => false): string[] {
  const reasons: string[] = [];
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.size + 1 > alloc.pods) reasons.push('Too many pods');
  if (request.milliCPU > 0 && request.milliCPU > alloc.milliCPU - used.milliCPU) reasons.push('Insufficient cpu');
  if (request.memory > 0 && request.memory > alloc.memory - used.memory) reasons.push('Insufficient memory');
  if (request.ephemeralStorage > 0 && request.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) reasons.push('Insufficient ephemeral-storage');
  for (const [resource, amount] of request.scalar) {
    if (amount <= 0 || ignored(resource)) continue;
    if (amount > (alloc.scalar.get(resource) ?? 0) - (used.scalar.get(resource) ?? 0)) reasons.push(`Insufficient ${resource}`);
  }
  return reasons;
}

/** What a resource's score is computed from: what the node would have requested with the pod, and its allocatable. */
function requestedAndAllocatable(resource: string, podInfo: PodInfo, nodeInfo: NodeInfo): [number, number] {
  switch (resource) {
    case 'cpu':
      return [nodeInfo.nonZeroRequested.milliCPU + podInfo.scoringRequests.milliCPU, nodeInfo.allocatable.milliCPU];
    case 'memory':
      return [nodeInfo.nonZeroRequested.memory + podInfo.scoringRequests.memory, nodeInfo.allocatable.memory];
    case 'ephemeral-storage':
      return [nodeInfo.requested.ephemeralStorage + podInfo.requests.ephemeralStorage, nodeInfo.allocatable.ephemeralStorage];
    default:
      return [(nodeInfo.requested.scalar.get(resource) ?? 0) + (podInfo.requests.scalar.get(resource) ?? 0), nodeInfo.allocatable.scalar.get(resource) ?? 0];
  }
}

/** Piecewise-linear interpolation of the shape (utilization 0–100 → score 0–10, scaled to 0–100). */
function shapeScore(shape: { utilization: number; score: number }[], utilization: number): number {
  const points = [...shape].sort((a, b) => a.utilization - b.utilization).map((p) => ({ x: p.utilization, y: (p.score * maxNodeScore) / 10 }));
  if (!points.length) return 0;
  if (utilization <= points[0].x) return points[0].y;
  for (let i = 1; i < points.length; i++) {
    if (utilization <= points[i].x) {
      const a = points[i - 1];
      const b = points[i];
      return a.y + ((b.y - a.y) * (utilization - a.x)) / (b.x - a.x);
    }
  }
  return points[points.length - 1].y;
}

export function resourceScorer(args: NodeResourcesFitArgs['scoringStrategy'] = {}): (podInfo: PodInfo, nodeInfo: NodeInfo) => number {
  const type = args.type ?? 'LeastAllocated';
  const resources = args.resources?.length ? args.resources : [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }];
  const shape = args.requestedToCapacityRatio?.shape ?? [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }];
  const perResource = (requested: number, capacity: number): number => {
    if (type === 'MostAllocated') return Math.trunc((Math.min(requested, capacity) * maxNodeScore) / capacity);
    if (type === 'RequestedToCapacityRatio') return Math.trunc(shapeScore(shape, Math.min(100, (requested * 100) / capacity)));
    if (requested > capacity) return 0;
    return Math.trunc(((capacity - requested) * maxNodeScore) / capacity);
  };
  return (podInfo, nodeInfo) => {
    let total = 0;
    let weights = 0;
    for (const resource of resources) {
      const [requested, capacity] = requestedAndAllocatable(resource.name, podInfo, nodeInfo);
      if (capacity === 0) continue;
      const weight = resource.weight ?? 1;
      total += perResource(requested, capacity) * weight;
      weights += weight;
    }
    return weights === 0 ? 0 : Math.trunc(total / weights);
  };
}

export function nodeResourcesFit(args: NodeResourcesFitArgs = {}): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const ignoredNames = new Set(args.ignoredResources ?? []);
  const ignoredGroups = new Set(args.ignoredResourceGroups ?? []);
  const ignored = (resource: string) => ignoredNames.has(resource) || (resource.includes('/') && ignoredGroups.has(resource.split('/')[0]));
  const scorer = resourceScorer(args.scoringStrategy);
  const podInfoOf = (state: Parameters<FilterPlugin['filter']>[0], pod: Parameters<FilterPlugin['filter']>[1]) => {
    let info = state.read(preFilterKey);
    if (!info) state.write(preFilterKey, (info = new PodInfo(pod)));
    return info;
  };
  return {
    name,
    preFilter(state, pod) {
      state.write(preFilterKey, new PodInfo(pod));
      return undefined;
    },
    filter(state, pod, nodeInfo) {
      const reasons = insufficientResources(podInfoOf(state, pod).requests, nodeInfo, ignored);
      return reasons.length ? unschedulable(...reasons) : undefined;
    },
    preScore() {
      return undefined;
    },
    score(state, pod, nodeInfo) {
      return scorer(podInfoOf(state, pod), nodeInfo);
    },
    eventsToRegister: () => ['NodeAdd', 'NodeUpdate', 'AssignedPodDelete', 'AssignedPodUpdate'],
  };
}
