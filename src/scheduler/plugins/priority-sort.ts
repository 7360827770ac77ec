/** PrioritySort (QueueSort): higher priority first, then the pod that has waited longer. */
import type { QueuedPodInfo, QueueSortPlugin } from '../framework/interface.js';
import { priorityOf } from './helpers.js';

export const name = 'PrioritySort';

export function prioritySort(): QueueSortPlugin {
  return {
    name,
    less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
      const pa = priorityOf(a.pod);
      const pb = priorityOf(b.pod);
      return pa > pb || (pa === pb && a.timestamp < b.timestamp);
    },
  };
}
