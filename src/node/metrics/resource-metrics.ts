/**
 * `/metrics/resource`: the kubelet's resource metrics (what metrics-server
 * reads for metrics.k8s.io and `kubectl top`), with upstream's names, help
 * texts (stability level first, as component-base writes it), labels and a
 * timestamp in ms on each usage sample. The apiserver reads it back for
 * metrics.k8s.io (src/apiserver/resource-metrics/decode.ts).
 */
import type { MetricFamily, Sample } from './exposition.js';
import { renderFamilies } from './exposition.js';
import type { StatsSnapshot } from './stats.js';

const seconds = (nanos: number) => nanos / 1e9;

/** The exposition of a snapshot; without one (reading failed) only resource_scrape_error 1, as the kubelet answers. */
export function renderResourceMetrics(snapshot: StatsSnapshot | undefined): string {
  const family = (name: string, type: 'counter' | 'gauge', help: string): MetricFamily => ({ name, type, help, samples: [] });
  const nodeCpu = family('node_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds');
  const nodeMemory = family('node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes');
  const nodeSwap = family('node_swap_usage_bytes', 'gauge', '[ALPHA] Current swap usage of the node in bytes. Reported only on non-windows systems');
  const podCpu = family('pod_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds');
  const podMemory = family('pod_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the pod in bytes');
  const podSwap = family('pod_swap_usage_bytes', 'gauge', '[ALPHA] Current amount of the pod swap usage in bytes. Reported only on non-windows systems');
  const containerCpu = family('container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds');
  const containerMemory = family('container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes');
  const containerSwap = family('container_swap_usage_bytes', 'gauge', '[ALPHA] Current amount of the container swap usage in bytes. Reported only on non-windows systems');
  const containerStart = family('container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds');
  const scrapeError = family('resource_scrape_error', 'gauge', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise');
  const add = (target: MetricFamily, value: number | undefined, timestampMs: number | undefined, labels?: Record<string, string>) => {
    if (value !== undefined && Number.isFinite(value)) target.samples.push({ value, timestampMs, ...(labels ? { labels } : {}) } as Sample);
  };
  scrapeError.samples.push({ value: snapshot ? 0 : 1 });
  if (snapshot) {
    const { node } = snapshot;
    add(nodeCpu, node.cpuNanos === undefined ? undefined : seconds(node.cpuNanos), node.timestampMs);
    add(nodeMemory, node.memoryWorkingSetBytes, node.timestampMs);
    add(nodeSwap, node.swapBytes, node.timestampMs);
    for (const pod of snapshot.pods) {
      const podLabels = { pod: pod.name, namespace: pod.namespace };
      for (const c of pod.containers) {
        const labels = { container: c.name, ...podLabels };
        // No timestamp: the kubelet writes the start time as a plain gauge.
        if (c.startTimeMs > 0) add(containerStart, c.startTimeMs / 1000, undefined, labels);
        add(containerCpu, c.cpuNanos === undefined ? undefined : seconds(c.cpuNanos), c.timestampMs, labels);
        add(containerMemory, c.memoryWorkingSetBytes, c.timestampMs, labels);
        add(containerSwap, c.swapBytes, c.timestampMs, labels);
      }
      add(podCpu, pod.cpuNanos === undefined ? undefined : seconds(pod.cpuNanos), pod.timestampMs, podLabels);
      add(podMemory, pod.memoryWorkingSetBytes, pod.timestampMs, podLabels);
      add(podSwap, pod.swapBytes, pod.timestampMs, podLabels);
    }
  }
  return renderFamilies([nodeCpu, nodeMemory, nodeSwap, podCpu, podMemory, podSwap, containerCpu, containerMemory, containerSwap, containerStart, scrapeError]);
}

// ---- reading it back (metrics.k8s.io) ----
