/** NodeName (Filter): a pod that names its node (`spec.nodeName`) fits only there. */
import type { EnqueueExtensions, FilterPlugin } from '../framework/interface.js';
import { unresolvable } from '../framework/status.js';

export const name = 'NodeName';
export const reasonNodeName = "node(s) didn't match the requested node name";

export function nodeName(): FilterPlugin & EnqueueExtensions {
  return {
    name,
    filter(_state, pod, nodeInfo) {
      const wanted = pod.spec?.nodeName;
      if (wanted && wanted !== nodeInfo.name) return unresolvable(reasonNodeName);
      return undefined;
    },
    eventsToRegister: () => ['NodeAdd', 'NodeUpdate'],
  };
}
