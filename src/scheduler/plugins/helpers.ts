/** Small pieces several plugins share. */
import { maxNodeScore, type NodeScore } from '../framework/interface.js';

/**
 * Upstream's DefaultNormalizeScore: scales scores so the best is
 * maxNodeScore (integer division, as upstream); `reverse` turns "more is
 * worse" counts (untolerated soft taints) into scores.
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean, max = maxNodeScore): void {
  let highest = 0;
  for (const s of scores) highest = Math.max(highest, s.score);
  if (highest === 0) {
    if (reverse) for (const s of scores) s.score = max;
    return;
  }
  for (const s of scores) {
    let score = Math.trunc((max * s.score) / highest);
    if (reverse) score = max - score;
    s.score = score;
  }
}

export function priorityOf(pod: { spec?: { priority?: number } }): number {
  return pod.spec?.priority ?? 0;
}
