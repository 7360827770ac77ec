/**
 * NodeResourcesBalancedAllocation (Score): prefer nodes whose CPU and memory
 * would be used in similar proportions with the pod — one minus the standard
 * deviation of the utilization fractions.
 */
import { StateKey } from '../framework/cycle-state.js';
import { PodInfo } from '../framework/node-info.js';
import type { PreScorePlugin, ScorePlugin } from '../framework/interface.js';
import { maxNodeScore } from '../framework/interface.js';

export const name = 'NodeResourcesBalancedAllocation';
const stateKey = new StateKey<PodInfo>(`PreScore${name}`);

export function balancedAllocation(args: { resources?: { name: string; weight?: number }[] } = {}): PreScorePlugin & ScorePlugin {
  const resources = args.resources?.length ? args.resources.map((r) => r.name) : ['cpu', 'memory'];
  return {
    name,
    preScore(state, pod) {
      state.write(stateKey, new PodInfo(pod));
      return undefined;
    },
    score(state, pod, nodeInfo) {
      const podInfo = state.read(stateKey) ?? new PodInfo(pod);
      const fractions: number[] = [];
      for (const resource of resources) {
        let requested: number;
        let capacity: number;
        if (resource === 'cpu') [requested, capacity] = [nodeInfo.nonZeroRequested.milliCPU + podInfo.scoringRequests.milliCPU, nodeInfo.allocatable.milliCPU];
        else if (resource === 'memory') [requested, capacity] = [nodeInfo.nonZeroRequested.memory + podInfo.scoringRequests.memory, nodeInfo.allocatable.memory];
        else [requested, capacity] = [(nodeInfo.requested.scalar.get(resource) ?? 0) + (podInfo.requests.scalar.get(resource) ?? 0), nodeInfo.allocatable.scalar.get(resource) ?? 0];
        if (capacity === 0) continue;
        fractions.push(Math.min(1, requested / capacity));
      }
      let std = 0;
      if (fractions.length === 2) std = Math.abs(fractions[0] - fractions[1]) / 2;
      else if (fractions.length > 2) {
        const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
        std = Math.sqrt(fractions.reduce((sum, f) => sum + (f - mean) ** 2, 0) / fractions.length);
      }
      return Math.trunc((1 - std) * maxNodeScore);
    },
  };
}
