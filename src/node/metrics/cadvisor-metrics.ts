/**
 * `/metrics/cadvisor`: the container metrics the kubelet's embedded
 * cadvisor exposes, with cadvisor's names, help texts and labels (id,
 * image, name, namespace, pod, container; empty when unknown, as the
 * kubelet sets them) — only those skiff measures:
 *
 *   id="/"                       the machine: cpu, memory, network, the data dir's file system
 *   id="/skiff/<pod uid>"        a pod (container=""): its containers summed, its network
 *   id="/skiff/<pod uid>/<id>"   a container: cpu, memory, start time
 *
 * The ids follow the cgroups the process runtime makes (skiff/<pod uid>/<container id>).
 */
import type { MetricFamily } from './exposition.js';
import { renderFamilies } from './exposition.js';
import type { InterfaceStats } from './proc-parse.js';
import type { StatsSnapshot } from './stats.js';

interface Usage {
  timestampMs: number;
  cpuNanos?: number;
  workingSetBytes?: number;
  usageBytes?: number;
  rssBytes?: number;
  network?: InterfaceStats[];
  filesystem?: { device: string; usedBytes: number };
  startTimeMs?: number;
}

function sumOf(values: (number | undefined)[]): number | undefined {
  if (values.length === 0 || values.some((v) => v === undefined)) return undefined;
  return values.reduce((sum: number, v) => sum + v!, 0);
}

/** The exposition of a snapshot; without one (reading failed) only container_scrape_error 1. */
export function renderCadvisorMetrics(snapshot: StatsSnapshot | undefined): string {
  const family = (name: string, type: 'counter' | 'gauge', help: string): MetricFamily => ({ name, type, help, samples: [] });
  const cpu = family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.');
  const workingSet = family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.');
  const usage = family('container_memory_usage_bytes', 'gauge', 'Current memory usage in bytes, including all memory regardless of when it was accessed');
  const rss = family('container_memory_rss', 'gauge', 'Size of RSS in bytes.');
  const received = family('container_network_receive_bytes_total', 'counter', 'Cumulative count of bytes received');
  const transmitted = family('container_network_transmit_bytes_total', 'counter', 'Cumulative count of bytes transmitted');
  const fsUsage = family('container_fs_usage_bytes', 'gauge', 'Number of bytes that are consumed by the container on this filesystem.');
  const startTime = family('container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds.');
  const scrapeError = family('container_scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise');
  const cores = family('machine_cpu_cores', 'gauge', 'Number of logical CPU cores.');
  const memory = family('machine_memory_bytes', 'gauge', 'Amount of memory installed on the machine.');
  scrapeError.samples.push({ value: snapshot ? 0 : 1 });

  const add = (labels: Record<string, string>, u: Usage) => {
    const at = u.timestampMs;
    // cadvisor leaves out a cpu total of 0 (a cgroup that never ran).
    if (u.cpuNanos !== undefined && u.cpuNanos > 0) cpu.samples.push({ labels: { ...labels, cpu: 'total' }, value: u.cpuNanos / 1e9, timestampMs: at });
    if (u.workingSetBytes !== undefined) workingSet.samples.push({ labels, value: u.workingSetBytes, timestampMs: at });
    if (u.usageBytes !== undefined) usage.samples.push({ labels, value: u.usageBytes, timestampMs: at });
    if (u.rssBytes !== undefined) rss.samples.push({ labels, value: u.rssBytes, timestampMs: at });
    for (const i of u.network ?? []) {
      received.samples.push({ labels: { ...labels, interface: i.name }, value: i.rxBytes, timestampMs: at });
      transmitted.samples.push({ labels: { ...labels, interface: i.name }, value: i.txBytes, timestampMs: at });
    }
    if (u.filesystem) fsUsage.samples.push({ labels: { ...labels, device: u.filesystem.device }, value: u.filesystem.usedBytes, timestampMs: at });
    // Whole seconds and no timestamp, as cadvisor writes its creation time.
    if (u.startTimeMs !== undefined && u.startTimeMs > 0) startTime.samples.push({ labels, value: Math.floor(u.startTimeMs / 1000) });
  };
  const base = (id: string, rest: Partial<Record<'container' | 'image' | 'name' | 'namespace' | 'pod', string>> = {}) => ({
    container: '',
    id,
    image: '',
    name: '',
    namespace: '',
    pod: '',
    ...rest,
  });

  if (snapshot) {
    const { node } = snapshot;
    if (node.machine) {
      add(base('/'), {
        timestampMs: node.timestampMs,
        cpuNanos: node.cpuNanos,
        workingSetBytes: node.memoryWorkingSetBytes,
        usageBytes: node.memoryUsageBytes,
        rssBytes: node.memoryRssBytes,
        network: node.network,
        filesystem: node.filesystem,
      });
      const machineLabels = { boot_id: node.machine.bootId, machine_id: node.machine.machineId, system_uuid: node.machine.systemUuid };
      if (node.cpuCores) cores.samples.push({ labels: machineLabels, value: node.cpuCores, timestampMs: node.timestampMs });
      if (node.memoryCapacityBytes) memory.samples.push({ labels: machineLabels, value: node.memoryCapacityBytes, timestampMs: node.timestampMs });
    }
    for (const pod of snapshot.pods) {
      const podId = `/skiff/${pod.uid}`;
      add(base(podId, { namespace: pod.namespace, pod: pod.name }), {
        timestampMs: pod.timestampMs,
        cpuNanos: pod.cpuNanos,
        workingSetBytes: pod.memoryWorkingSetBytes,
        usageBytes: sumOf(pod.containers.map((c) => c.memoryUsageBytes)),
        rssBytes: sumOf(pod.containers.map((c) => c.memoryRssBytes)),
        network: pod.network,
      });
      for (const c of pod.containers) {
        add(base(`${podId}/${c.id}`, { container: c.name, image: c.image, name: c.id, namespace: pod.namespace, pod: pod.name }), {
          timestampMs: c.timestampMs,
          cpuNanos: c.cpuNanos,
          workingSetBytes: c.memoryWorkingSetBytes,
          usageBytes: c.memoryUsageBytes,
          rssBytes: c.memoryRssBytes,
          startTimeMs: c.startTimeMs,
        });
      }
    }
  }
  return renderFamilies([cpu, workingSet, usage, rss, received, transmitted, fsUsage, startTime, scrapeError, cores, memory]);
}
