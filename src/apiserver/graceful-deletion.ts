/**
 * How long an object may take to go away once deleted. Only pods are graceful
 * upstream: a pod on a node gets its termination grace period so the node can
 * stop its containers; an unscheduled or finished pod goes at once.
 */
import type { ResourceType } from '../api/resource.js';
import type { KubeObject } from '../machinery/object.js';

export function deletionGracePeriod(type: ResourceType, object: KubeObject, requested: number | undefined): number {
  if (!(type.group === '' && type.resource === 'pods')) return 0;
  const spec = (object.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (object.status as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  if (requested !== undefined) return requested;
  return spec.terminationGracePeriodSeconds ?? 30;
}
