/**
 * `/metrics/resource`: the kubelet's resource metrics (what metrics-server
 * reads for metrics.k8s.io and `kubectl top`), with upstream's names, help
 * texts (stability level first, as component-base writes it), labels and a
 * timestamp in ms on each usage sample; and the parser the metrics.k8s.io
 * side reads it back with.
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

export interface ResourcePoint {
  cpuSeconds?: number;
  memoryBytes?: number;
  /** The usage samples' time (ms since the epoch): the cpu sample's, else the memory sample's, else the default. */
  timestampMs?: number;
}

export interface ContainerResourcePoint extends ResourcePoint {
  namespace: string;
  pod: string;
  container: string;
  /** container_start_time_seconds, in seconds since the epoch. */
  startTimeSeconds?: number;
}

export interface ParsedResourceMetrics {
  node?: ResourcePoint;
  containers: ContainerResourcePoint[];
  /** Lines that were neither comments nor readable samples (skipped). */
  skippedLines: number;
}

export interface ParseOptions {
  /** The time of samples without a timestamp (metrics-server uses the scrape's time). */
  defaultTimestampMs?: number;
  /** Input past this many characters is not read (default 16 Mi). */
  maxLength?: number;
  /** Containers kept at most (default 50,000); samples of further ones are skipped. */
  maxContainers?: number;
}

/** Lines longer than this are skipped unread (a real sample line is a few hundred characters). */
const maxLineLength = 16 * 1024;

const wanted = new Set([
  'node_cpu_usage_seconds_total',
  'node_memory_working_set_bytes',
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
  'container_start_time_seconds',
]);

interface SeriesLine {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

/** Reads a label set `{a="x",b="y\"z"}` from position `start` (at '{'); undefined when malformed. */
function readLabels(line: string, start: number): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = Object.create(null);
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i, i + 256));
    if (!nameMatch) return undefined;
    const name = nameMatch[0];
    i += name.length;
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] !== '=') return undefined;
    i++;
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] !== '"') return undefined;
    i++;
    let value = '';
    for (;;) {
      if (i >= line.length) return undefined;
      const ch = line[i];
      if (ch === '"') break;
      if (ch === '\\') {
        const next = line[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else return undefined;
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    i++;
    if (name in labels) return undefined;
    labels[name] = value;
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') return undefined;
  }
}

/** A sample value as the text format allows it: a decimal or exponent number, NaN, ±Inf. */
function readValue(text: string): number | undefined {
  if (/^[+-]?Inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^NaN$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function readSeriesLine(line: string): SeriesLine | undefined {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) return undefined;
  const name = nameMatch[0];
  let rest = name.length;
  let labels: Record<string, string> = Object.create(null);
  if (line[rest] === '{') {
    const read = readLabels(line, rest);
    if (!read) return undefined;
    labels = read.labels;
    rest = read.end;
  }
  const fields = line.slice(rest).trim().split(/[ \t]+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === '') return undefined;
  const value = readValue(fields[0]);
  if (value === undefined) return undefined;
  let timestampMs: number | undefined;
  if (fields.length === 2) {
    if (!/^-?\d{1,16}$/.test(fields[1])) return undefined;
    timestampMs = Number(fields[1]);
  }
  return { name, labels, value, timestampMs };
}

/**
 * The node's and each container's usage from a `/metrics/resource` text.
 * Never throws: comments, other metrics and unreadable lines are skipped;
 * a usage that is not a finite number ≥ 0, or a negative timestamp, drops
 * that sample. Whether a point is complete enough to serve (metrics-server
 * drops a pod when a container lacks cpu or memory, or has 0 of either) is
 * the caller's choice.
 */
export function parseResourceMetrics(text: string, options: ParseOptions = {}): ParsedResourceMetrics {
  const maxLength = options.maxLength ?? 16 * 1024 * 1024;
  const maxContainers = options.maxContainers ?? 50_000;
  const input = typeof text === 'string' ? text.slice(0, maxLength) : '';
  const containers = new Map<string, ContainerResourcePoint>();
  const result: ParsedResourceMetrics = { containers: [], skippedLines: 0 };
  let cpuTimestampSeen = false;
  let start = 0;
  while (start < input.length) {
    let end = input.indexOf('\n', start);
    if (end < 0) end = input.length;
    const length = end - start;
    const line = length > maxLineLength ? undefined : input.slice(start, end).trim();
    start = end + 1;
    if (line === undefined) {
      result.skippedLines++;
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const series = readSeriesLine(line);
    if (!series) {
      result.skippedLines++;
      continue;
    }
    if (!wanted.has(series.name)) continue;
    const timestampMs = series.timestampMs ?? options.defaultTimestampMs;
    if (!Number.isFinite(series.value) || series.value < 0 || (timestampMs !== undefined && timestampMs < 0)) continue;
    if (series.name.startsWith('node_')) {
      const node = (result.node ??= {});
      if (series.name === 'node_cpu_usage_seconds_total') {
        node.cpuSeconds = series.value;
        node.timestampMs = timestampMs;
        cpuTimestampSeen = true;
      } else {
        node.memoryBytes = series.value;
        if (!cpuTimestampSeen) node.timestampMs = timestampMs;
      }
      continue;
    }
    const { namespace, pod, container } = series.labels;
    if (namespace === undefined || pod === undefined || container === undefined) continue;
    const key = JSON.stringify([namespace, pod, container]);
    let point = containers.get(key);
    if (!point) {
      if (containers.size >= maxContainers) continue;
      point = { namespace, pod, container };
      containers.set(key, point);
    }
    if (series.name === 'container_start_time_seconds') point.startTimeSeconds = series.value;
    else if (series.name === 'container_cpu_usage_seconds_total') {
      point.cpuSeconds = series.value;
      point.timestampMs = timestampMs;
    } else {
      point.memoryBytes = series.value;
      if (point.cpuSeconds === undefined) point.timestampMs = timestampMs;
    }
  }
  result.containers = [...containers.values()];
  return result;
}
