/**
 * InterPodAffinity: pods that want (or refuse) to share a topology domain —
 * a node, a zone, any node label — with other pods.
 *
 * PreFilter counts, per topology domain (label key, value):
 *   - existing pods whose required anti-affinity selects the new pod;
 *   - existing pods the new pod's required affinity terms select;
 *   - existing pods the new pod's required anti-affinity terms select.
 * Filter then checks a node's domains against those counts. A pod whose
 * affinity matches no pod anywhere may still go where it likes if it
 * matches its own terms (the first pod of a group). Score sums preferred
 * (anti-)affinity weights both ways — the new pod's terms over existing
 * pods, and existing pods' terms over the new pod — and min-max normalizes.
 */
import { StateKey, type CycleState } from '../framework/cycle-state.js';
import type { EnqueueExtensions, FilterPlugin, Handle, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interface.js';
import { maxNodeScore } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { skip, unresolvable, unschedulable } from '../framework/status.js';
import type { Node, Pod } from '../types.js';
import { affinityOf, cachedMatcher, termMatches, topologyPair, type AffinityTerm } from './affinity-terms.js';

export const name = 'InterPodAffinity';
export const reasonExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules";
export const reasonAffinity = "node(s) didn't match pod affinity rules";
export const reasonAntiAffinity = "node(s) didn't match pod anti-affinity rules";

type Counts = Map<string, number>;

class PreFilterState {
  constructor(
    readonly existingAntiAffinity: Counts,
    readonly affinity: Counts,
    readonly antiAffinity: Counts,
    /** The topology keys existing pods' anti-affinity uses (what Filter must look up on a node). */
    readonly existingKeys: Set<string> = new Set(),
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(new Map(this.existingAntiAffinity), new Map(this.affinity), new Map(this.antiAffinity), new Set(this.existingKeys));
  }
}

const preFilterKey = new StateKey<PreFilterState>(`PreFilter${name}`);
const preScoreKey = new StateKey<Map<string, number>>(`PreScore${name}`);

function bump(counts: Counts, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}

export interface InterPodAffinityArgs {
  hardPodAffinityWeight?: number;
  ignorePreferredTermsOfExistingPods?: boolean;
}

export function interPodAffinity(args: InterPodAffinityArgs | undefined, handle: Handle): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const hardWeight = args?.hardPodAffinityWeight ?? 1;

  /** Adds (sign 1) or removes (−1) an existing pod's contribution to the counts. */
  function account(state: PreFilterState, pod: Pod, existing: Pod, node: Node | undefined, sign: number): void {
    const labels = node?.metadata.labels ?? {};
    for (const term of affinityOf(existing).requiredAntiAffinity) {
      const value = labels[term.topologyKey];
      if (value !== undefined && termMatches(term, pod, handle)) {
        bump(state.existingAntiAffinity, topologyPair(term.topologyKey, value), sign);
        state.existingKeys.add(term.topologyKey);
      }
    }
    const wanted = affinityOf(pod);
    if (wanted.requiredAffinity.length && wanted.requiredAffinity.every((term) => termMatches(term, existing, handle))) {
      // Counted only when the existing pod satisfies all terms (each term's domain counts it).
      for (const term of wanted.requiredAffinity) {
        const value = labels[term.topologyKey];
        if (value !== undefined) bump(state.affinity, topologyPair(term.topologyKey, value), sign);
      }
    }
    for (const term of wanted.requiredAntiAffinity) {
      const value = labels[term.topologyKey];
      if (value !== undefined && termMatches(term, existing, handle)) bump(state.antiAffinity, topologyPair(term.topologyKey, value), sign);
    }
  }

  function stateOf(cycle: CycleState): PreFilterState | undefined {
    return cycle.read(preFilterKey);
  }

  return {
    name,
    preFilter(cycle, pod, nodes) {
      const terms = affinityOf(pod);
      const withAntiAffinity = handle.snapshot.havePodsWithRequiredAntiAffinity();
      if (!terms.requiredAffinity.length && !terms.requiredAntiAffinity.length && !withAntiAffinity.length) return skip();
      const state = new PreFilterState(new Map(), new Map(), new Map());
      // Existing pods' anti-affinity: only nodes holding such pods matter; equal terms are matched once.
      const selectsNewPod = cachedMatcher(pod, handle);
      const perKey = new Map<string, number>();
      for (const nodeInfo of withAntiAffinity) {
        const labels = nodeInfo.node?.metadata.labels ?? {};
        // Count per topology key on this node first, then add each key's count once.
        perKey.clear();
        for (const info of nodeInfo.pods.values()) {
          if (!info.hasRequiredAntiAffinity) continue;
          for (const term of affinityOf(info.pod).requiredAntiAffinity) {
            if (labels[term.topologyKey] !== undefined && selectsNewPod(term)) perKey.set(term.topologyKey, (perKey.get(term.topologyKey) ?? 0) + 1);
          }
        }
        for (const [key, count] of perKey) {
          bump(state.existingAntiAffinity, topologyPair(key, labels[key]), count);
          state.existingKeys.add(key);
        }
      }
      if (terms.requiredAffinity.length || terms.requiredAntiAffinity.length) {
        for (const nodeInfo of nodes) {
          const labels = nodeInfo.node?.metadata.labels ?? {};
          for (const info of nodeInfo.pods.values()) {
            if (terms.requiredAffinity.length && terms.requiredAffinity.every((term) => termMatches(term, info.pod, handle))) {
              for (const term of terms.requiredAffinity) {
                const value = labels[term.topologyKey];
                if (value !== undefined) bump(state.affinity, topologyPair(term.topologyKey, value), 1);
              }
            }
            for (const term of terms.requiredAntiAffinity) {
              const value = labels[term.topologyKey];
              if (value !== undefined && termMatches(term, info.pod, handle)) bump(state.antiAffinity, topologyPair(term.topologyKey, value), 1);
            }
          }
        }
      }
      cycle.write(preFilterKey, state);
      return undefined;
    },
    addPod(cycle, pod, added, nodeInfo) {
      const state = stateOf(cycle);
      if (state) account(state, pod, added, nodeInfo.node, 1);
      return undefined;
    },
    removePod(cycle, pod, removed, nodeInfo) {
      const state = stateOf(cycle);
      if (state) account(state, pod, removed, nodeInfo.node, -1);
      return undefined;
    },
    filter(cycle, pod, nodeInfo) {
      const state = stateOf(cycle);
      if (!state) return undefined;
      const labels = nodeInfo.node?.metadata.labels ?? {};
      const terms = affinityOf(pod);
      // Affinity: every term's domain on this node must hold a matching pod…
      if (terms.requiredAffinity.length) {
        const satisfied = terms.requiredAffinity.every((term) => {
          const value = labels[term.topologyKey];
          return value !== undefined && (state.affinity.get(topologyPair(term.topologyKey, value)) ?? 0) > 0;
        });
        if (!satisfied) {
          // …unless no pod matches anywhere and the pod matches its own terms: it may start the group.
          const selfMatch = state.affinity.size === 0 && terms.requiredAffinity.every((term) => termMatches(term, pod, handle) && labels[term.topologyKey] !== undefined);
          if (!selfMatch) return unresolvable(reasonAffinity);
        }
      }
      for (const term of terms.requiredAntiAffinity) {
        const value = labels[term.topologyKey];
        if (value !== undefined && (state.antiAffinity.get(topologyPair(term.topologyKey, value)) ?? 0) > 0) return unschedulable(reasonAntiAffinity);
      }
      for (const key of state.existingKeys) {
        const value = labels[key];
        if (value !== undefined && (state.existingAntiAffinity.get(topologyPair(key, value)) ?? 0) > 0) return unschedulable(reasonExistingAntiAffinity);
      }
      return undefined;
    },
    preScore(cycle, pod, nodes) {
      const terms = affinityOf(pod);
      const hasPreferred = terms.preferredAffinity.length > 0 || terms.preferredAntiAffinity.length > 0;
      const withAffinity = handle.snapshot.havePodsWithAffinity();
      if (!hasPreferred && !withAffinity.length) return skip();
      const scores = new Map<string, number>();
      const add = (term: AffinityTerm, node: NodeInfo, weight: number) => {
        const value = node.node?.metadata.labels?.[term.topologyKey];
        if (value !== undefined) bump(scores, topologyPair(term.topologyKey, value), weight);
      };
      const sources: NodeInfo[] = hasPreferred ? handle.snapshot.list() : withAffinity;
      for (const nodeInfo of sources) {
        for (const info of nodeInfo.pods.values()) {
          const existing = info.pod;
          for (const term of terms.preferredAffinity) if (termMatches(term, existing, handle)) add(term, nodeInfo, term.weight);
          for (const term of terms.preferredAntiAffinity) if (termMatches(term, existing, handle)) add(term, nodeInfo, -term.weight);
          if (!info.hasAffinity) continue;
          const theirs = affinityOf(existing);
          if (hardWeight > 0) for (const term of theirs.requiredAffinity) if (termMatches(term, pod, handle)) add(term, nodeInfo, hardWeight);
          if (args?.ignorePreferredTermsOfExistingPods) continue;
          for (const term of theirs.preferredAffinity) if (termMatches(term, pod, handle)) add(term, nodeInfo, term.weight);
          for (const term of theirs.preferredAntiAffinity) if (termMatches(term, pod, handle)) add(term, nodeInfo, -term.weight);
        }
      }
      void nodes;
      cycle.write(preScoreKey, scores);
      return undefined;
    },
    score(cycle, _pod, nodeInfo) {
      const scores = cycle.read(preScoreKey);
      if (!scores?.size) return 0;
      let total = 0;
      for (const [key, value] of Object.entries(nodeInfo.node?.metadata.labels ?? {})) total += scores.get(topologyPair(key, value)) ?? 0;
      return total;
    },
    normalizeScore(_cycle, _pod, scores) {
      // Scores can be negative: min-max scaling, as upstream.
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        min = Math.min(min, s.score);
        max = Math.max(max, s.score);
      }
      const spread = max - min;
      for (const s of scores) s.score = spread > 0 ? Math.trunc((maxNodeScore * (s.score - min)) / spread) : 0;
      return undefined;
    },
    eventsToRegister: () => ['AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NodeAdd', 'NodeUpdate'],
  };
}
