/**
 * The replica calculator's I/O half, as upstream's ReplicaCalculator
 * methods: fetch the metric (metrics-client.ts) and the pods (the pod
 * informer's lister), hand both to the pure functions of
 * replica-calculator.ts, and word errors as upstream does.
 */
import type { CrossVersionObjectReference } from '../../api/autoscaling/index.js';
import type { LabelSelector } from '../../api/common/selector.js';
import { formatLabelSelector, type Selector } from '../../machinery/labels.js';
import type { MetricsClient } from './metrics-client.js';
import {
  externalMetricReplicas,
  objectMetricReplicas,
  perPodTotalReplicas,
  plainMetricReplicas,
  resourceReplicas,
  type AutoscaledPod,
  type CalculatorOptions,
  type ResourceReplicas,
} from './replica-calculator.js';

/** The pods of a namespace that a selector selects (the pod informer's cache). */
export interface PodLister {
  list(namespace: string, selector: Selector): AutoscaledPod[];
}

export type CalculatorSettings = Omit<CalculatorOptions, 'now'>;

export interface UsageReplicas {
  replicas: number;
  /** Milli-units. */
  usage: number;
  timestamp: number;
}

/** A LabelSelector as Go's `%+v` prints it in upstream's messages. */
export function goLabelSelector(selector: LabelSelector | undefined | null): string {
  if (!selector) return 'nil';
  const labels = Object.keys(selector.matchLabels ?? {})
    .sort()
    .map((key) => `${key}: ${selector.matchLabels![key]},`)
    .join('');
  const expressions = (selector.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${expressions}},}`;
}

export class MetricReplicaCalculator {
  constructor(
    private readonly metrics: MetricsClient,
    private readonly pods: PodLister,
    private readonly settings: CalculatorSettings,
    private readonly now: () => number,
  ) {}

  private options(): CalculatorOptions {
    return { ...this.settings, now: this.now() };
  }

  /** Replicas for a target utilization (percent of requests) of a resource, of the pods or of one container. */
  async getResourceReplicas(currentReplicas: number, targetUtilization: number, resource: string, namespace: string, selector: Selector, container: string, signal?: AbortSignal): Promise<ResourceReplicas> {
    let fetched;
    try {
      fetched = await this.metrics.getResourceMetric(resource, namespace, selector.toString(), container, signal);
    } catch (err) {
      throw new Error(`unable to get metrics for resource ${resource}: ${(err as Error).message}`);
    }
    const pods = this.pods.list(namespace, selector);
    return resourceReplicas({ currentReplicas, targetUtilization, resource, container, metrics: fetched.metrics, timestamp: fetched.timestamp, pods }, this.options());
  }

  /** Replicas for a target average usage (milli) of a resource. */
  async getRawResourceReplicas(currentReplicas: number, targetUsage: number, resource: string, namespace: string, selector: Selector, container: string, signal?: AbortSignal): Promise<UsageReplicas> {
    let fetched;
    try {
      fetched = await this.metrics.getResourceMetric(resource, namespace, selector.toString(), container, signal);
    } catch (err) {
      throw new Error(`unable to get metrics for resource ${resource}: ${(err as Error).message}`);
    }
    const pods = this.pods.list(namespace, selector);
    const { replicas, usage } = plainMetricReplicas({ currentReplicas, targetUsage, resource, metrics: fetched.metrics, pods }, this.options());
    return { replicas, usage, timestamp: fetched.timestamp };
  }

  /** Replicas for a target average of a per-pod custom metric. */
  async getMetricReplicas(currentReplicas: number, targetUsage: number, metricName: string, namespace: string, selector: Selector, metricSelector: LabelSelector | undefined, signal?: AbortSignal): Promise<UsageReplicas> {
    let fetched;
    try {
      fetched = await this.metrics.getRawMetric(metricName, namespace, selector.toString(), formatLabelSelector(metricSelector), signal);
    } catch (err) {
      throw new Error(`unable to get metric ${metricName}: ${(err as Error).message}`);
    }
    const pods = this.pods.list(namespace, selector);
    const { replicas, usage } = plainMetricReplicas({ currentReplicas, targetUsage, resource: '', metrics: fetched.metrics, pods }, this.options());
    return { replicas, usage, timestamp: fetched.timestamp };
  }

  private async objectMetric(metricName: string, namespace: string, objectRef: CrossVersionObjectReference, metricSelector: LabelSelector | undefined, signal?: AbortSignal) {
    try {
      return await this.metrics.getObjectMetric(metricName, namespace, objectRef, formatLabelSelector(metricSelector), signal);
    } catch (err) {
      // Upstream's arguments are in this order, odd as it reads.
      throw new Error(`unable to get metric ${metricName}: ${objectRef.kind ?? ''} on ${namespace} ${objectRef.name ?? ''}/${(err as Error).message}`);
    }
  }

  /** Replicas for a target value of an object's metric. */
  async getObjectMetricReplicas(currentReplicas: number, targetUsage: number, metricName: string, namespace: string, objectRef: CrossVersionObjectReference, selector: Selector, metricSelector: LabelSelector | undefined, signal?: AbortSignal): Promise<UsageReplicas> {
    const { value, timestamp } = await this.objectMetric(metricName, namespace, objectRef, metricSelector, signal);
    const replicas = objectMetricReplicas({ currentReplicas, usage: value, targetUsage, pods: this.pods.list(namespace, selector) }, this.options());
    return { replicas, usage: value, timestamp };
  }

  /** Replicas so that each gets the target share of an object's metric. */
  async getObjectPerPodMetricReplicas(statusReplicas: number, targetAverageUsage: number, metricName: string, namespace: string, objectRef: CrossVersionObjectReference, metricSelector: LabelSelector | undefined, signal?: AbortSignal): Promise<UsageReplicas> {
    const { value, timestamp } = await this.objectMetric(metricName, namespace, objectRef, metricSelector, signal);
    return { ...perPodTotalReplicas({ statusReplicas, total: value, targetAverageUsage }, this.options()), timestamp };
  }

  private async externalValues(metricName: string, namespace: string, metricSelector: LabelSelector | undefined, signal?: AbortSignal) {
    const selectorText = formatLabelSelector(metricSelector);
    try {
      return await this.metrics.getExternalMetric(metricName, namespace, selectorText, signal);
    } catch (err) {
      throw new Error(`unable to get external metric ${namespace}/${metricName}/${goLabelSelector(metricSelector)}: ${(err as Error).message}`);
    }
  }

  /** Replicas for a target value of the sum of an external metric's series. */
  async getExternalMetricReplicas(currentReplicas: number, targetUsage: number, metricName: string, namespace: string, metricSelector: LabelSelector | undefined, podSelector: Selector, signal?: AbortSignal): Promise<UsageReplicas> {
    const { values, timestamp } = await this.externalValues(metricName, namespace, metricSelector, signal);
    const { replicas, usage } = externalMetricReplicas({ currentReplicas, values, targetUsage, pods: this.pods.list(namespace, podSelector) }, this.options());
    return { replicas, usage, timestamp };
  }

  /** Replicas so that each gets the target share of an external metric's sum. */
  async getExternalPerPodMetricReplicas(statusReplicas: number, targetUsagePerPod: number, metricName: string, namespace: string, metricSelector: LabelSelector | undefined, signal?: AbortSignal): Promise<UsageReplicas> {
    const { values, timestamp } = await this.externalValues(metricName, namespace, metricSelector, signal);
    const total = values.reduce((sum, value) => sum + value, 0);
    return { ...perPodTotalReplicas({ statusReplicas, total, targetAverageUsage: targetUsagePerPod }, this.options()), timestamp };
  }
}
