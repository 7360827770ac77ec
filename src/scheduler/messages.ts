/**
 * The words of a FailedScheduling event and of the PodScheduled=False
 * condition, built as upstream's FitError.Error() builds them:
 *   "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated
 *    taint {dedicated: gpu}. preemption: 0/3 nodes are available: 3
 *    Preemption is not helpful for scheduling."
 */
import type { NodeStatusMap } from './framework/interface.js';

export const noNodesAvailable = 'no nodes available to schedule pods';

export interface FitFailure {
  numAllNodes: number;
  nodeStatuses: NodeStatusMap;
  /** The message of a PreFilter rejection (then every node shares it). */
  preFilterMsg?: string;
  /** The message of PostFilter (preemption), when it ran and did not help. */
  postFilterMsg?: string;
}

/** "N reason" strings, counted over every node's reasons and sorted as strings, as upstream does. */
export function reasonsHistogram(statuses: NodeStatusMap): string[] {
  const counts = new Map<string, number>();
  for (const status of statuses.values()) {
    for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => `${count} ${reason}`).sort();
}

export function fitErrorMessage(failure: FitFailure): string {
  if (failure.numAllNodes === 0) return noNodesAvailable;
  let message = `0/${failure.numAllNodes} nodes are available:`;
  if (failure.preFilterMsg) message += ` ${failure.preFilterMsg}.`;
  else message += ` ${reasonsHistogram(failure.nodeStatuses).join(', ')}.`;
  if (failure.postFilterMsg) message += ` ${failure.postFilterMsg}.`;
  return message;
}
