/**
 * metrics.k8s.io/v1beta1: the resource usage of nodes and pods (k8s.io/metrics),
 * as metrics-server serves it. Nothing here is stored: the apiserver computes
 * each answer from what it scraped from the node agents.
 */
import type { KubeObject } from '../../machinery/object.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/** CPU (`"1234567n"`) and memory (`"12345Ki"`) as canonical quantities. */
export interface ResourceUsage {
  cpu: string;
  memory: string;
}

/** Usage over [timestamp − window, timestamp]; `window` as Go prints a duration (`"15.012s"`). */
export interface NodeMetrics extends KubeObject {
  timestamp: string | null;
  window: string;
  usage: ResourceUsage;
}

export interface ContainerMetrics {
  name: string;
  usage: ResourceUsage;
}

export interface PodMetrics extends KubeObject {
  timestamp: string | null;
  window: string;
  containers: ContainerMetrics[];
}

/**
 * Where the apiserver keeps what it scraped (its resource-metrics store).
 * Answers carry no kind or apiVersion: list items go out as they are.
 */
export interface ResourceMetricsReader {
  /** The node's metrics; undefined when it has none yet. Throws upstream's NotFound when there is no such node. */
  nodeMetrics(name: string): Promise<NodeMetrics | undefined>;
  /** Every node that has metrics, by name. */
  listNodeMetrics(): Promise<NodeMetrics[]>;
  /** The pod's metrics; undefined when it has none yet. Throws NotFound when no such pod is running. */
  podMetrics(namespace: string, name: string): Promise<PodMetrics | undefined>;
  /** Every running pod (of one namespace, or all) with metrics for all its containers, by namespace and name. */
  listPodMetrics(namespace: string | undefined): Promise<PodMetrics[]>;
}
