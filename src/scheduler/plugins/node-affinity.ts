/**
 * NodeAffinity. PreFilter: when the required terms name nodes by
 * `metadata.name` (as DaemonSet pods do), only those nodes are considered.
 * Filter: `nodeSelector` and required node affinity must match. Score: the
 * sum of the weights of the preferred terms a node matches, normalized.
 */
import { nodeMatchesPod, nodeSelectorTermMatches } from '../../api/core/index.js';
import type { EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interface.js';
import { skip, unresolvable } from '../framework/status.js';
import { defaultNormalizeScore } from './helpers.js';

export const name = 'NodeAffinity';
export const reasonAffinity = "node(s) didn't match Pod's node affinity/selector";

export function nodeAffinity(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  return {
    name,
    preFilter(_state, pod) {
      const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      if (!terms?.length) return undefined;
      // Only when every term pins names can the candidate nodes be narrowed.
      const names = new Set<string>();
      for (const term of terms) {
        const field = term.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In');
        if (!field) return undefined;
        for (const value of field.values ?? []) names.add(value);
      }
      return { result: { nodeNames: names } };
    },
    filter(_state, pod, nodeInfo) {
      if (!nodeInfo.node || !nodeMatchesPod(pod.spec ?? {}, nodeInfo.node)) return unresolvable(reasonAffinity);
      return undefined;
    },
    preScore(_state, pod) {
      if (!pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length) return skip();
      return undefined;
    },
    score(_state, pod, nodeInfo) {
      let total = 0;
      for (const preferred of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        if (preferred.weight && nodeInfo.node && nodeSelectorTermMatches(preferred.preference, nodeInfo.node)) total += preferred.weight;
      }
      return total;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, false);
      return undefined;
    },
    eventsToRegister: () => ['NodeAdd', 'NodeUpdate'],
  };
}
