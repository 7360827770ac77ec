/**
 * Pure helpers of the Deployment controller: which ReplicaSet is new and
 * which are old, revisions, and the rolling-update arithmetic
 * (maxSurge / maxUnavailable). No I/O here, so each rule is testable alone.
 */
import type { Deployment, PodTemplateSpec, ReplicaSet } from '../../api/apps/index.js';
import { scaledValue } from '../../machinery/intorstring.js';
import { canonicalJson } from '../util/hash.js';

export const annotations = {
  revision: 'deployment.kubernetes.io/revision',
  revisionHistory: 'deployment.kubernetes.io/revision-history',
  desiredReplicas: 'deployment.kubernetes.io/desired-replicas',
  maxReplicas: 'deployment.kubernetes.io/max-replicas',
  changeCause: 'kubernetes.io/change-cause',
  lastApplied: 'kubectl.kubernetes.io/last-applied-configuration',
};

export const podTemplateHashLabel = 'pod-template-hash';

/** A template without the hash label, to compare a ReplicaSet's template with the Deployment's. */
export function templateWithoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[podTemplateHashLabel];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

export function sameTemplate(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(templateWithoutHash(a)) === canonicalJson(templateWithoutHash(b));
}

export function revisionOf(object: { metadata: { annotations?: Record<string, string> } }): number {
  const value = Number(object.metadata.annotations?.[annotations.revision]);
  return Number.isFinite(value) ? value : 0;
}

export function replicasOf(rs: ReplicaSet): number {
  return rs.spec?.replicas ?? 0;
}

/** The oldest created first, the name breaking ties (upstream's ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const t = Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '');
  return t !== 0 ? t : (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** The ReplicaSet whose template is the Deployment's (the oldest, if several); the rest are old. */
export function splitReplicaSets(deployment: Deployment, all: ReplicaSet[]): { newRS?: ReplicaSet; old: ReplicaSet[] } {
  const sorted = [...all].sort(byCreation);
  const newRS = sorted.find((rs) => sameTemplate(rs.spec?.template, deployment.spec?.template));
  return { newRS, old: sorted.filter((rs) => rs !== newRS) };
}

/** maxSurge and maxUnavailable as pod counts; both 0 would deadlock, so unavailable becomes 1. */
export function rollingBounds(deployment: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = deployment.spec?.replicas ?? 1;
  const rolling = deployment.spec?.strategy?.rollingUpdate ?? {};
  const maxSurge = scaledValue(rolling.maxSurge ?? '25%', replicas, true);
  let maxUnavailable = scaledValue(rolling.maxUnavailable ?? '25%', replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

export function isRollingUpdate(deployment: Deployment): boolean {
  return (deployment.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** How far the new ReplicaSet may grow now: up to replicas + maxSurge pods in all. */
export function newReplicaSetReplicas(deployment: Deployment, all: ReplicaSet[], newRS: ReplicaSet): number {
  const replicas = deployment.spec?.replicas ?? 1;
  if (!isRollingUpdate(deployment)) return replicas;
  const { maxSurge } = rollingBounds(deployment);
  const current = all.reduce((sum, rs) => sum + replicasOf(rs), 0);
  const maxTotal = replicas + maxSurge;
  if (current >= maxTotal) return replicasOf(newRS);
  const scaleUp = Math.min(maxTotal - current, replicas - replicasOf(newRS));
  return replicasOf(newRS) + Math.max(0, scaleUp);
}

/**
 * How many old pods may go now without dropping below replicas −
 * maxUnavailable available pods, counting the new ReplicaSet's pods that are
 * not yet available as already unavailable.
 */
export function maxOldScaleDown(deployment: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined): number {
  const replicas = deployment.spec?.replicas ?? 1;
  const { maxUnavailable } = rollingBounds(deployment);
  const minAvailable = replicas - maxUnavailable;
  const allPods = all.reduce((sum, rs) => sum + replicasOf(rs), 0);
  const newUnavailable = newRS ? replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  return allPods - minAvailable - Math.max(0, newUnavailable);
}

/** Old pods that may go because enough pods are available: available − (replicas − maxUnavailable). */
export function availableScaleDown(deployment: Deployment, all: ReplicaSet[]): number {
  const replicas = deployment.spec?.replicas ?? 1;
  const { maxUnavailable } = rollingBounds(deployment);
  const available = all.reduce((sum, rs) => sum + (rs.status?.availableReplicas ?? 0), 0);
  return available - (replicas - maxUnavailable);
}

/** Max revision among ReplicaSets. */
export function maxRevision(all: ReplicaSet[]): number {
  return all.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}
