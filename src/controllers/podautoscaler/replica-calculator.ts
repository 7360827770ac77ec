/**
 * How many replicas a metric asks for: upstream's ReplicaCalculator as pure
 * functions over metrics already fetched and pods already listed (the
 * caller does the I/O). Values are milli-units, as upstream's MilliValue().
 *
 * The rules that make it conservative:
 *   - a change within `tolerance` of the target (default 10%) is no change;
 *   - pods being deleted or failed are ignored; pending pods, and (for CPU)
 *     pods still starting or not ready, are "unready";
 *   - pods without a metric are "missing": on a scale-down they count as
 *     using the target (100% of their request, or the target if above 100%),
 *     on a scale-up as using nothing; unready pods count as using nothing on
 *     a scale-up — whichever dampens the change;
 *   - if those assumptions would reverse the direction, nothing changes.
 */
import type { KubeObject } from '../../machinery/object.js';
import { milliValue, tryParseQuantity } from '../../machinery/quantity.js';

/** One pod's metric: value in milli-units, when it was taken and over which window (epoch ms, ms). */
export interface PodMetric {
  value: number;
  timestamp: number;
  window: number;
}

/** Metrics by pod name. */
export type PodMetricsInfo = Map<string, PodMetric>;

interface PodContainer {
  name?: string;
  restartPolicy?: string;
  resources?: { requests?: Record<string, string | number> };
}

/** What the calculator reads of a pod. */
export interface AutoscaledPod extends KubeObject {
  spec?: { containers?: PodContainer[]; initContainers?: PodContainer[] } & Record<string, unknown>;
  status?: {
    phase?: string;
    startTime?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  } & Record<string, unknown>;
}

export interface ReadinessOptions {
  /** The clock, epoch ms. */
  now: number;
  /** CPU samples of a pod this young are trusted only once it is ready and a full window was taken since (upstream default 5 min). */
  cpuInitializationPeriodMs: number;
  /** A pod not ready within this of starting has never been ready: its CPU is ignored (upstream default 30 s). */
  initialReadinessDelayMs: number;
}

export interface CalculatorOptions extends ReadinessOptions {
  /** Relative change ignored (upstream default 0.1). */
  tolerance: number;
}

export const defaultTolerance = 0.1;
export const defaultCpuInitializationPeriodMs = 5 * 60_000;
export const defaultInitialReadinessDelayMs = 30_000;

/** Go's zero time (year 1), which an absent timestamp compares as. */
export const zeroTime = new Date('0001-01-01T00:00:00Z').getTime();

function timeOf(text: string | undefined): number {
  const parsed = text ? Date.parse(text) : NaN;
  return Number.isNaN(parsed) ? zeroTime : parsed;
}

export interface PodGroups {
  readyPodCount: number;
  unreadyPods: Set<string>;
  missingPods: Set<string>;
  ignoredPods: Set<string>;
}

/** Sorts the pods into ready, unready, missing (no metric) and ignored (deleted or failed), as upstream's groupPods. */
export function groupPods(pods: AutoscaledPod[], metrics: PodMetricsInfo, resource: string, options: ReadinessOptions): PodGroups {
  const groups: PodGroups = { readyPodCount: 0, unreadyPods: new Set(), missingPods: new Set(), ignoredPods: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed') {
      groups.ignoredPods.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      groups.unreadyPods.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      groups.missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const condition = pod.status?.conditions?.find((c) => c.type === 'Ready');
      let unready: boolean;
      if (!condition || !pod.status?.startTime) {
        unready = true;
      } else {
        const startTime = timeOf(pod.status.startTime);
        const transition = timeOf(condition.lastTransitionTime);
        if (startTime + options.cpuInitializationPeriodMs > options.now) {
          // Still initializing: trust the sample only if ready and taken a full window after becoming so.
          unready = condition.status === 'False' || metric.timestamp < transition + metric.window;
        } else {
          // Past initialization: ignore only a pod that has never been ready.
          unready = condition.status === 'False' && startTime + options.initialReadinessDelayMs > transition;
        }
      }
      if (unready) {
        groups.unreadyPods.add(name);
        continue;
      }
    }
    groups.readyPodCount++;
  }
  return groups;
}

/** Each pod's request of `resource` (milli), summed over its containers (or the one named), restartable init containers included. */
export function calculatePodRequests(pods: AutoscaledPod[], container: string, resource: string): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    const containers = [
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
    ];
    let sum = 0;
    for (const c of containers) {
      if (container !== '' && container !== c.name) continue;
      const text = c.resources?.requests?.[resource];
      const parsed = text === undefined ? undefined : tryParseQuantity(String(text));
      if (!parsed) throw new Error(`missing request for ${resource} in container ${c.name ?? ''} of Pod ${pod.metadata.name ?? ''}`);
      sum += Number(milliValue(parsed));
    }
    requests.set(pod.metadata.name ?? '', sum);
  }
  return requests;
}

/** Utilization of requests in percent, its ratio to the target, and the average raw value. */
export function resourceUtilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number): { ratio: number; utilization: number; rawAverageValue: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, metric] of metrics) {
    const request = requests.get(name);
    // A metric of a pod we do not know is extraneous.
    if (request === undefined) continue;
    metricsTotal += metric.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverageValue: Math.trunc(metricsTotal / entries) };
}

/** Average usage and its ratio to the target. */
export function metricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const metric of metrics.values()) total += metric.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

function removeMetricsForPods(metrics: PodMetricsInfo, pods: Set<string>): void {
  for (const pod of pods) metrics.delete(pod);
}

const noPods = 'no pods returned by selector while calculating replica count';

export interface ResourceReplicas {
  replicas: number;
  /** Percent of requests. */
  utilization: number;
  /** Average per pod, milli. */
  rawUtilization: number;
  timestamp: number;
}

/**
 * Replicas for a target utilization (percent of requests) of a resource,
 * as upstream's GetResourceReplicas; `metrics` is consumed.
 */
export function resourceReplicas(
  input: { currentReplicas: number; targetUtilization: number; resource: string; container: string; metrics: PodMetricsInfo; timestamp: number; pods: AutoscaledPod[] },
  options: CalculatorOptions,
): ResourceReplicas {
  const { currentReplicas, targetUtilization, resource, metrics, pods } = input;
  if (pods.length === 0) throw new Error(noPods);
  const { readyPodCount, unreadyPods, missingPods, ignoredPods } = groupPods(pods, metrics, resource, options);
  removeMetricsForPods(metrics, ignoredPods);
  removeMetricsForPods(metrics, unreadyPods);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const requests = calculatePodRequests(pods, input.container, resource);
  const first = resourceUtilizationRatio(metrics, requests, targetUtilization);
  const usageRatio = first.ratio;
  const result = (replicas: number): ResourceReplicas => ({ replicas, utilization: first.utilization, rawUtilization: first.rawAverageValue, timestamp: input.timestamp });

  const scaleUpWithUnready = unreadyPods.size > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && missingPods.size === 0) {
    if (Math.abs(1.0 - usageRatio) <= options.tolerance) return result(currentReplicas);
    return result(Math.ceil(usageRatio * readyPodCount));
  }
  if (missingPods.size > 0) {
    if (usageRatio < 1.0) {
      // Scaling down: a missing pod uses all of its request, or the target when that is above 100%.
      const fallbackUtilization = Math.max(100, targetUtilization);
      for (const pod of missingPods) metrics.set(pod, { value: Math.trunc(((requests.get(pod) ?? 0) * fallbackUtilization) / 100), timestamp: 0, window: 0 });
    } else if (usageRatio > 1.0) {
      for (const pod of missingPods) metrics.set(pod, { value: 0, timestamp: 0, window: 0 });
    }
  }
  if (scaleUpWithUnready) for (const pod of unreadyPods) metrics.set(pod, { value: 0, timestamp: 0, window: 0 });

  const newUsageRatio = resourceUtilizationRatio(metrics, requests, targetUtilization).ratio;
  if (Math.abs(1.0 - newUsageRatio) <= options.tolerance || (usageRatio < 1.0 && newUsageRatio > 1.0) || (usageRatio > 1.0 && newUsageRatio < 1.0)) {
    return result(currentReplicas);
  }
  const newReplicas = Math.ceil(newUsageRatio * metrics.size);
  if ((newUsageRatio < 1.0 && newReplicas > currentReplicas) || (newUsageRatio > 1.0 && newReplicas < currentReplicas)) {
    return result(currentReplicas);
  }
  return result(newReplicas);
}

/**
 * Replicas for a target average value per pod (a resource's AverageValue,
 * or a Pods metric — `resource` '' — ), as upstream's calcPlainMetricReplicas.
 */
export function plainMetricReplicas(
  input: { currentReplicas: number; targetUsage: number; resource: string; metrics: PodMetricsInfo; pods: AutoscaledPod[] },
  options: CalculatorOptions,
): { replicas: number; usage: number } {
  const { currentReplicas, targetUsage, metrics, pods } = input;
  if (pods.length === 0) throw new Error(noPods);
  const { readyPodCount, unreadyPods, missingPods, ignoredPods } = groupPods(pods, metrics, input.resource, options);
  removeMetricsForPods(metrics, ignoredPods);
  removeMetricsForPods(metrics, unreadyPods);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const { ratio: usageRatio, usage } = metricUsageRatio(metrics, targetUsage);

  const scaleUpWithUnready = unreadyPods.size > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && missingPods.size === 0) {
    if (Math.abs(1.0 - usageRatio) <= options.tolerance) return { replicas: currentReplicas, usage };
    return { replicas: Math.ceil(usageRatio * readyPodCount), usage };
  }
  if (missingPods.size > 0) {
    if (usageRatio < 1.0) {
      for (const pod of missingPods) metrics.set(pod, { value: targetUsage, timestamp: 0, window: 0 });
    } else if (usageRatio > 1.0) {
      for (const pod of missingPods) metrics.set(pod, { value: 0, timestamp: 0, window: 0 });
    }
  }
  if (scaleUpWithUnready) for (const pod of unreadyPods) metrics.set(pod, { value: 0, timestamp: 0, window: 0 });

  const newUsageRatio = metricUsageRatio(metrics, targetUsage).ratio;
  if (Math.abs(1.0 - newUsageRatio) <= options.tolerance || (usageRatio < 1.0 && newUsageRatio > 1.0) || (usageRatio > 1.0 && newUsageRatio < 1.0)) {
    return { replicas: currentReplicas, usage };
  }
  const newReplicas = Math.ceil(newUsageRatio * metrics.size);
  if ((newUsageRatio < 1.0 && newReplicas > currentReplicas) || (newUsageRatio > 1.0 && newReplicas < currentReplicas)) {
    return { replicas: currentReplicas, usage };
  }
  return { replicas: newReplicas, usage };
}

/** Running and ready pods. */
export function readyPodCount(pods: AutoscaledPod[]): number {
  if (pods.length === 0) throw new Error(noPods);
  return pods.filter((pod) => pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

/**
 * Replicas from a usage ratio and the ready pods; from zero replicas the
 * ratio alone decides (so a target can scale up from, and down to, zero).
 */
export function usageRatioReplicaCount(currentReplicas: number, usageRatio: number, pods: AutoscaledPod[], tolerance: number): number {
  if (currentReplicas === 0) return Math.ceil(usageRatio);
  if (Math.abs(1.0 - usageRatio) <= tolerance) return currentReplicas;
  let ready: number;
  try {
    ready = readyPodCount(pods);
  } catch (err) {
    throw new Error(`unable to calculate ready pods: ${(err as Error).message}`);
  }
  return Math.ceil(usageRatio * ready);
}

/** An Object metric with a Value target: the object's value against the target. */
export function objectMetricReplicas(input: { currentReplicas: number; usage: number; targetUsage: number; pods: AutoscaledPod[] }, options: CalculatorOptions): number {
  return usageRatioReplicaCount(input.currentReplicas, input.usage / input.targetUsage, input.pods, options.tolerance);
}

/**
 * A value shared by all replicas (an Object or External metric with an
 * AverageValue target): replicas so that each gets the target; the usage
 * reported is per current replica.
 */
export function perPodTotalReplicas(input: { statusReplicas: number; total: number; targetAverageUsage: number }, options: CalculatorOptions): { replicas: number; usage: number } {
  const { statusReplicas, total, targetAverageUsage } = input;
  let replicas = statusReplicas;
  const usageRatio = total / (targetAverageUsage * statusReplicas);
  if (Math.abs(1.0 - usageRatio) > options.tolerance) replicas = Math.ceil(total / targetAverageUsage);
  // Upstream divides by zero here when nothing runs; report the total instead.
  const usage = Math.ceil(total / (statusReplicas || 1));
  return { replicas, usage };
}

/** An External metric with a Value target: the sum of the series against the target. */
export function externalMetricReplicas(input: { currentReplicas: number; values: number[]; targetUsage: number; pods: AutoscaledPod[] }, options: CalculatorOptions): { replicas: number; usage: number } {
  const usage = input.values.reduce((sum, value) => sum + value, 0);
  return { replicas: usageRatioReplicaCount(input.currentReplicas, usage / input.targetUsage, input.pods, options.tolerance), usage };
}
