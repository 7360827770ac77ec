/** SchedulingGates (PreEnqueue): a pod with `spec.schedulingGates` waits outside the active queue until they are removed. */
import type { PreEnqueuePlugin } from '../framework/interface.js';
import { unresolvable } from '../framework/status.js';

export const name = 'SchedulingGates';

export function schedulingGates(): PreEnqueuePlugin {
  return {
    name,
    preEnqueue(pod) {
      const gates = pod.spec?.schedulingGates ?? [];
      if (!gates.length) return undefined;
      return unresolvable(`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`);
    },
  };
}
