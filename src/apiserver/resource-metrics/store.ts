/**
 * The last two points of every node and container, and the usage between
 * them, by metrics-server's rules (pkg/storage): a newer point moves the
 * last one to previous; a point no newer keeps the previous one if it is
 * older still; a container restarted since the last point starts over; a
 * container started less than one resolution (and at least 10 s) before its
 * first point uses its start time, at zero CPU, as the previous point.
 *
 * Kept per node: a scrape replaces all of its node's pods (gone pods go
 * with it), a failed scrape drops the node's points, and nodes no longer
 * scraped are dropped by `retain` — memory follows the cluster's size.
 */
import type { MetricsPoint, NodeBatch } from './decode.js';

/** Below this age metrics-server does not trust a new container's start time as a point (inaccurate data). */
export const freshContainerMinimumMs = 10_000;

/** Usage between two points: CPU in nanocores, memory in bytes, over [timestampMs − windowMs, timestampMs]. */
export interface Usage {
  cpuNanocores: number;
  memoryBytes: number;
  timestampMs: number;
  windowMs: number;
}

export interface PodUsage {
  /** By container name, sorted. */
  containers: { name: string; usage: Usage }[];
  /** The earliest of the containers' timestamps, and that container's window (undefined: no container could be computed). */
  timestampMs?: number;
  windowMs: number;
}

interface PodPoints {
  last: Map<string, MetricsPoint>;
  prev: Map<string, MetricsPoint>;
}

interface NodeEntry {
  last?: MetricsPoint;
  prev?: MetricsPoint;
  pods: Map<string, PodPoints>;
  /** Successful scrapes in a row: two are needed for any usage. */
  scrapes: number;
}

/** metrics-server's resourceUsage: undefined when the start time or the CPU counter went backwards. */
export function usageBetween(last: MetricsPoint, prev: MetricsPoint): Usage | undefined {
  if (last.startTimeMs < prev.startTimeMs) return undefined;
  if (last.cpuNanoseconds < prev.cpuNanoseconds) return undefined;
  const windowMs = last.timestampMs - prev.timestampMs;
  if (!(windowMs > 0)) return undefined;
  return {
    cpuNanocores: Math.trunc((last.cpuNanoseconds - prev.cpuNanoseconds) / (windowMs / 1000)),
    memoryBytes: last.memoryBytes,
    timestampMs: last.timestampMs,
    windowMs,
  };
}

export class ResourceMetricsStore {
  private readonly nodes = new Map<string, NodeEntry>();

  /** `resolutionMs`: the scrape interval, which bounds how new a container's start time may be used. */
  constructor(private readonly resolutionMs: number) {}

  /** A scrape of `nodeName` succeeded: its points move on. */
  store(nodeName: string, batch: NodeBatch): void {
    const old = this.nodes.get(nodeName);
    const entry: NodeEntry = { pods: new Map(), scrapes: (old?.scrapes ?? 0) + 1 };
    const point = batch.node;
    if (point) {
      entry.last = point;
      if (old?.last && point.timestampMs > old.last.timestampMs) entry.prev = old.last;
      else if (old?.prev && old.prev.timestampMs < point.timestampMs) entry.prev = old.prev;
    }
    for (const [key, containers] of batch.pods) entry.pods.set(key, this.nextPodPoints(containers, old?.pods.get(key)));
    this.nodes.set(nodeName, entry);
  }

  private nextPodPoints(containers: Map<string, MetricsPoint>, old: PodPoints | undefined): PodPoints {
    const next: PodPoints = { last: new Map(), prev: new Map() };
    for (const [name, point] of containers) {
      next.last.set(name, point);
      const age = point.timestampMs - point.startTimeMs;
      if (point.startTimeMs < point.timestampMs && age < this.resolutionMs && age >= freshContainerMinimumMs) {
        // A container new since the last scrape: it used no CPU before it started.
        next.prev.set(name, { ...point, timestampMs: point.startTimeMs, cpuNanoseconds: 0 });
        continue;
      }
      const last = old?.last.get(name);
      // A start time after the stored point means a restart: its counters began again.
      if (!last || !(point.startTimeMs < last.timestampMs)) continue;
      if (point.timestampMs > last.timestampMs) next.prev.set(name, last);
      else {
        const prev = old?.prev.get(name);
        if (prev && prev.timestampMs < point.timestampMs) next.prev.set(name, prev);
      }
    }
    return next;
  }

  /** A scrape of `nodeName` failed, or the node is gone: what it had goes (metrics-server keeps only the last batch). */
  drop(nodeName: string): void {
    this.nodes.delete(nodeName);
  }

  /** Keeps only these nodes' points. */
  retain(nodeNames: ReadonlySet<string>): void {
    for (const name of this.nodes.keys()) if (!nodeNames.has(name)) this.nodes.delete(name);
  }

  clear(): void {
    this.nodes.clear();
  }

  /** Successful scrapes of the node since its points were last dropped. */
  scrapesOf(nodeName: string): number {
    return this.nodes.get(nodeName)?.scrapes ?? 0;
  }

  nodeUsage(nodeName: string): Usage | undefined {
    const entry = this.nodes.get(nodeName);
    return entry?.last && entry.prev ? usageBetween(entry.last, entry.prev) : undefined;
  }

  /**
   * The pod's usage, from the node it runs on; undefined unless every
   * container it was last seen with has a previous point too.
   */
  podUsage(nodeName: string, namespace: string, name: string): PodUsage | undefined {
    const pod = this.nodes.get(nodeName)?.pods.get(`${namespace}/${name}`);
    if (!pod || pod.prev.size === 0) return undefined;
    const containers: { name: string; usage: Usage }[] = [];
    let earliest: Usage | undefined;
    for (const [container, last] of pod.last) {
      const prev = pod.prev.get(container);
      if (!prev) return undefined;
      const usage = usageBetween(last, prev);
      // As metrics-server: a container whose counters went backwards is left out, the pod still shown.
      if (!usage) continue;
      containers.push({ name: container, usage });
      if (!earliest || usage.timestampMs < earliest.timestampMs) earliest = usage;
    }
    containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { containers, timestampMs: earliest?.timestampMs, windowMs: earliest?.windowMs ?? 0 };
  }

  /** How much is kept: nodes, and container points (last and previous). */
  size(): { nodes: number; containerPoints: number } {
    let containerPoints = 0;
    for (const entry of this.nodes.values()) for (const pod of entry.pods.values()) containerPoints += pod.last.size + pod.prev.size;
    return { nodes: this.nodes.size, containerPoints };
  }
}
