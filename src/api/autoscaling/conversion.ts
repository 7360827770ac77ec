/**
 * autoscaling/v1 ↔ v2. HPAs are stored as v2; v1 is a view of them with a
 * single CPU utilization target. What v1 cannot express — other metrics,
 * conditions, behavior — travels in annotations, as upstream does, so that
 * reading and writing through v1 never loses a v2 field. (Upstream writes
 * these annotations in an older metric format; skiff keeps v2's shape.)
 */
import type { KubeObject } from '../../machinery/object.js';
import type { StorageConversion } from '../resource.js';
import type { HorizontalPodAutoscalerV1, HorizontalPodAutoscalerV2, MetricSpec, MetricStatus } from './types.js';

export const annotations = {
  metrics: 'autoscaling.alpha.kubernetes.io/metrics',
  currentMetrics: 'autoscaling.alpha.kubernetes.io/current-metrics',
  conditions: 'autoscaling.alpha.kubernetes.io/conditions',
  behavior: 'autoscaling.alpha.kubernetes.io/behavior',
};

function isCpuUtilization(metric: MetricSpec): boolean {
  return metric.type === 'Resource' && metric.resource?.name === 'cpu' && metric.resource.target?.type === 'Utilization';
}

function isCpuUtilizationStatus(metric: MetricStatus): boolean {
  return metric.type === 'Resource' && metric.resource?.name === 'cpu' && metric.resource.current?.averageUtilization !== undefined;
}

function takeJson<T>(map: Record<string, string>, key: string): T | undefined {
  const text = map[key];
  delete map[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** v1 → v2 (the storage version). */
export function hpaV1ToV2(v1: HorizontalPodAutoscalerV1): HorizontalPodAutoscalerV2 {
  const metadata = structuredClone(v1.metadata);
  const notes: Record<string, string> = { ...metadata.annotations };
  const otherMetrics = takeJson<MetricSpec[]>(notes, annotations.metrics) ?? [];
  const currentMetrics = takeJson<MetricStatus[]>(notes, annotations.currentMetrics) ?? [];
  const conditions = takeJson<unknown[]>(notes, annotations.conditions);
  const behavior = takeJson<NonNullable<HorizontalPodAutoscalerV2['spec']>['behavior']>(notes, annotations.behavior);
  if (Object.keys(notes).length > 0) metadata.annotations = notes;
  else delete metadata.annotations;

  const spec = v1.spec ?? {};
  const metrics: MetricSpec[] = [];
  if (spec.targetCPUUtilizationPercentage !== undefined) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  metrics.push(...otherMetrics.filter((m) => !isCpuUtilization(m)));

  const v2: HorizontalPodAutoscalerV2 = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: { scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas },
  };
  if (metrics.length) v2.spec!.metrics = metrics;
  if (behavior) v2.spec!.behavior = behavior;
  if (v1.status) {
    const status = v1.status;
    const current: MetricStatus[] = [];
    if (status.currentCPUUtilizationPercentage !== undefined) {
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } });
    }
    current.push(...currentMetrics.filter((m) => !isCpuUtilizationStatus(m)));
    v2.status = {
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas,
      desiredReplicas: status.desiredReplicas ?? 0,
    };
    if (current.length) v2.status.currentMetrics = current;
    if (conditions) v2.status.conditions = conditions;
    dropUndefined(v2.status);
  }
  dropUndefined(v2.spec!);
  return v2;
}

/** v2 → v1. */
export function hpaV2ToV1(v2: KubeObject): HorizontalPodAutoscalerV1 {
  const hpa = v2 as HorizontalPodAutoscalerV2;
  const metadata = structuredClone(hpa.metadata);
  const notes: Record<string, string> = { ...metadata.annotations };
  const spec = hpa.spec ?? {};
  const metrics = spec.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) notes[annotations.metrics] = JSON.stringify(others);
  if (spec.behavior) notes[annotations.behavior] = JSON.stringify(spec.behavior);

  const v1: HorizontalPodAutoscalerV1 = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      targetCPUUtilizationPercentage: cpu?.resource?.target?.averageUtilization,
    },
  };
  dropUndefined(v1.spec!);
  if (hpa.status) {
    const status = hpa.status;
    const currentCpu = (status.currentMetrics ?? []).find(isCpuUtilizationStatus);
    const otherCurrent = (status.currentMetrics ?? []).filter((m) => m !== currentCpu);
    if (otherCurrent.length) notes[annotations.currentMetrics] = JSON.stringify(otherCurrent);
    if (status.conditions?.length) notes[annotations.conditions] = JSON.stringify(status.conditions);
    v1.status = {
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: currentCpu?.resource?.current?.averageUtilization,
    };
    dropUndefined(v1.status);
  }
  if (Object.keys(notes).length) v1.metadata.annotations = notes;
  return v1;
}

function dropUndefined(object: object): void {
  for (const [key, value] of Object.entries(object)) if (value === undefined) delete (object as Record<string, unknown>)[key];
}

export const hpaV1Conversion: StorageConversion<HorizontalPodAutoscalerV1> = {
  storageVersion: 'v2',
  toStorage: hpaV1ToV2,
  fromStorage: hpaV2ToV1,
};
