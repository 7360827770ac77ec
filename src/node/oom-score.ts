/**
 * Whom the kernel's OOM killer takes first when the machine runs out of
 * memory: every container gets an oom_score_adj from its pod's QoS class,
 * as the kubelet gives it (pkg/kubelet/qos/policy.go):
 *
 *   Guaranteed, or priorityClassName system-node-critical   -997 (last)
 *   BestEffort                                               1000 (first)
 *   Burstable   1000 − 1000 × memory request ÷ machine memory, within 3 … 999
 *
 * so a Burstable container that asked for a larger share of the machine is
 * kept longer, one past its request is killed before it, and either goes
 * before anything Guaranteed. A sidecar (an init container that keeps
 * running) is kept at least as long as the pod's smallest regular container.
 * The runtimes put the number into /proc/PID/oom_score_adj of the
 * container's process (skiff-shim; containerd through the CRI).
 */
import { podQOSClass } from '../api/core/index.js';
import { quantityValue, tryParseQuantity } from '../machinery/quantity.js';
import type { AgentContainer, AgentPod } from './types.js';

const guaranteedOOMScoreAdj = -997;
const bestEffortOOMScoreAdj = 1000;

/** A container's memory request in bytes (0 without one, or one that does not parse). */
function memoryRequest(container: AgentContainer): number {
  const request = container.resources?.requests?.memory;
  const parsed = request === undefined ? undefined : tryParseQuantity(request);
  return parsed ? quantityValue(parsed) : 0;
}

const isSidecar = (pod: AgentPod, container: AgentContainer) =>
  container.restartPolicy === 'Always' && (pod.spec?.initContainers ?? []).some((init) => init.name === container.name);

export function containerOOMScoreAdj(pod: AgentPod, container: AgentContainer, memoryCapacityBytes: number): number {
  if ((pod.spec as { priorityClassName?: string } | undefined)?.priorityClassName === 'system-node-critical') return guaranteedOOMScoreAdj;
  const qos = podQOSClass(pod.spec);
  if (qos === 'Guaranteed') return guaranteedOOMScoreAdj;
  if (qos === 'BestEffort') return bestEffortOOMScoreAdj;
  const forRequest = (bytes: number) => 1000 - Math.trunc((1000 * bytes) / memoryCapacityBytes);
  let adjust = forRequest(memoryRequest(container));
  if (isSidecar(pod, container)) {
    const regular = (pod.spec?.containers ?? []).map(memoryRequest);
    if (regular.length) adjust = Math.min(adjust, forRequest(Math.min(...regular)));
  }
  // Burstable stays above anything Guaranteed and below BestEffort.
  if (adjust < 1000 + guaranteedOOMScoreAdj) return 1000 + guaranteedOOMScoreAdj;
  if (adjust === bestEffortOOMScoreAdj) return adjust - 1;
  return adjust;
}
