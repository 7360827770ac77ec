/**
 * Node-side admission, as upstream's kubelet does before running a pod the
 * scheduler bound here (the scheduler may have been bypassed, or the node
 * may have changed): the pod's node selector and required node affinity must
 * match this node, and its requests must fit in what the admitted pods leave
 * of the node's allocatable. A rejected pod is Failed with upstream's reason
 * (`OutOfcpu`, `OutOfmemory`, `NodeAffinity`) and message.
 */
import { nodeMatchesPod, type NodeLike, type PodPlacement } from '../api/core/index.js';
import { milliValue, quantityValue, tryParseQuantity } from '../machinery/quantity.js';

interface Requests {
  [resource: string]: number;
}

interface AdmittablePod {
  spec?: PodPlacement & { containers?: { resources?: { requests?: Record<string, string> } }[]; initContainers?: { resources?: { requests?: Record<string, string> } }[] };
}

function amount(resource: string, text: string): number {
  const q = tryParseQuantity(text);
  if (!q) return 0;
  return resource === 'cpu' ? Number(milliValue(q)) : quantityValue(q);
}

/** A pod's requests: the containers' sum, or the largest init container if more. */
export function requestsOf(pod: AdmittablePod): Requests {
  const total: Requests = {};
  for (const container of pod.spec?.containers ?? []) {
    for (const [resource, text] of Object.entries(container.resources?.requests ?? {})) total[resource] = (total[resource] ?? 0) + amount(resource, text);
  }
  for (const init of pod.spec?.initContainers ?? []) {
    for (const [resource, text] of Object.entries(init.resources?.requests ?? {})) total[resource] = Math.max(total[resource] ?? 0, amount(resource, text));
  }
  return total;
}

export interface Rejection {
  reason: string;
  message: string;
}

/** Why this node cannot run the pod next to the admitted ones, or undefined when it can. */
export function admit(pod: AdmittablePod, node: NodeLike & { status?: { allocatable?: Record<string, string> } }, admitted: AdmittablePod[]): Rejection | undefined {
  if (!nodeMatchesPod(pod.spec ?? {}, node)) return { reason: 'NodeAffinity', message: 'Pod was rejected: Predicate NodeAffinity failed' };
  const allocatable = node.status?.allocatable ?? {};
  const podsAllowed = allocatable.pods !== undefined ? amount('pods', allocatable.pods) : Infinity;
  if (admitted.length + 1 > podsAllowed) return { reason: 'OutOfpods', message: `Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: ${admitted.length}, capacity: ${podsAllowed}` };
  const wanted = requestsOf(pod);
  const used: Requests = {};
  for (const other of admitted) for (const [resource, value] of Object.entries(requestsOf(other))) used[resource] = (used[resource] ?? 0) + value;
  for (const [resource, requested] of Object.entries(wanted)) {
    if (requested <= 0) continue;
    const capacity = allocatable[resource] !== undefined ? amount(resource, allocatable[resource]) : 0;
    if (requested + (used[resource] ?? 0) > capacity) {
      return {
        reason: `OutOf${resource}`,
        message: `Pod was rejected: Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${used[resource] ?? 0}, capacity: ${capacity}`,
      };
    }
  }
  return undefined;
}
