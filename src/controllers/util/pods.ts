/** What controllers ask of a pod: is it active, ready, available, and how it ranks for deletion. */
import type { KubeObject } from '../../machinery/object.js';

export interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; containers?: unknown[]; restartPolicy?: string } & Record<string, unknown>;
  status?: {
    phase?: string;
    conditions?: PodCondition[];
    containerStatuses?: { restartCount?: number; ready?: boolean }[];
  } & Record<string, unknown>;
}

export { podsResource } from '../../client/builtin-resources.js';

/** Not finished and not being deleted: a pod that counts towards replicas. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function readyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Ready for at least `minReadySeconds` (available, in the Deployment/ReplicaSet sense). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readyCondition(pod)?.lastTransitionTime;
  return since !== undefined && Date.parse(since) + minReadySeconds * 1000 <= now.getTime();
}

/** Milliseconds until a ready pod becomes available; undefined when not ready or already available. */
export function untilAvailable(pod: Pod, minReadySeconds: number, now: Date): number | undefined {
  if (!isPodReady(pod) || minReadySeconds <= 0) return undefined;
  const since = readyCondition(pod)?.lastTransitionTime;
  if (!since) return undefined;
  const left = Date.parse(since) + minReadySeconds * 1000 - now.getTime();
  return left > 0 ? left : undefined;
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
}

/**
 * Orders pods for scale-down, the ones to delete first first (upstream's
 * ActivePods ordering): unscheduled before scheduled, Pending before Unknown
 * before Running, not ready before ready, more restarts first, newer first.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const scheduled = Number(Boolean(a.spec?.nodeName)) - Number(Boolean(b.spec?.nodeName));
  if (scheduled !== 0) return scheduled;
  const phase = (phaseRank[a.status?.phase ?? 'Pending'] ?? 0) - (phaseRank[b.status?.phase ?? 'Pending'] ?? 0);
  if (phase !== 0) return phase;
  const ready = Number(isPodReady(a)) - Number(isPodReady(b));
  if (ready !== 0) return ready;
  const restartDiff = restarts(b) - restarts(a);
  if (restartDiff !== 0) return restartDiff;
  return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
}
