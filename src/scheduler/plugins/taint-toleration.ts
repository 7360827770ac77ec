/**
 * TaintToleration. Filter: a node with a NoSchedule or NoExecute taint the
 * pod does not tolerate is out. Score: fewer untolerated PreferNoSchedule
 * taints is better (normalized in reverse).
 */
import { tolerates, type Toleration } from '../../api/core/index.js';
import { StateKey } from '../framework/cycle-state.js';
import type { EnqueueExtensions, FilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interface.js';
import { unresolvable } from '../framework/status.js';
import { defaultNormalizeScore } from './helpers.js';

export const name = 'TaintToleration';
const preScoreKey = new StateKey<Toleration[]>(`PreScore${name}`);

export function taintToleration(): FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  return {
    name,
    filter(_state, pod, nodeInfo) {
      const tolerations = pod.spec?.tolerations ?? [];
      for (const taint of nodeInfo.node?.spec?.taints ?? []) {
        if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
        if (!tolerations.some((t) => tolerates(t, taint))) return unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
      }
      return undefined;
    },
    preScore(state, pod) {
      // Only tolerations that can match PreferNoSchedule taints matter for scoring.
      state.write(preScoreKey, (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule'));
      return undefined;
    },
    score(state, _pod, nodeInfo) {
      const tolerations = state.read(preScoreKey) ?? [];
      let count = 0;
      for (const taint of nodeInfo.node?.spec?.taints ?? []) {
        if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint))) count++;
      }
      return count;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, true);
      return undefined;
    },
    eventsToRegister: () => ['NodeAdd', 'NodeUpdate'],
  };
}
