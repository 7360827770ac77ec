/** NodeUnschedulable (Filter): a cordoned node (`spec.unschedulable`) takes only pods that tolerate the unschedulable taint. */
import { tolerates } from '../../api/core/index.js';
import type { EnqueueExtensions, FilterPlugin } from '../framework/interface.js';
import { error, unresolvable } from '../framework/status.js';

export const name = 'NodeUnschedulable';
export const reasonUnschedulable = 'node(s) were unschedulable';

export function nodeUnschedulable(): FilterPlugin & EnqueueExtensions {
  const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
  return {
    name,
    filter(_state, pod, nodeInfo) {
      if (!nodeInfo.node) return error('node not found');
      if (!nodeInfo.node.spec?.unschedulable) return undefined;
      if ((pod.spec?.tolerations ?? []).some((t) => tolerates(t, taint))) return undefined;
      return unresolvable(reasonUnschedulable);
    },
    eventsToRegister: () => ['NodeAdd', 'NodeUpdate'],
  };
}
