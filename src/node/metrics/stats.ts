/**
 * The node's stats provider (the kubelet's summary provider, for the
 * metrics endpoints): one snapshot of the node, its pods and their running
 * containers, read at most once per short interval however many scrapes
 * come, and shared by scrapes that arrive while it is being read.
 *
 *   container cpu, working set  ← Runtime.containerStats (its cgroup)
 *                                 else the container's processes in /proc (Runtime.containerPid)
 *   container usage, rss, swap  ← the cgroup the container's process is in, else /proc
 *   pod                         ← Runtime.podSandboxStats (its cgroup, pause included, and its network)
 *                                 where the runtime has it; else the sum of its running containers, and
 *                                 the network of its own namespace (Runtime.sandboxPid's /proc/PID/net/dev,
 *                                 else a container's process's)
 *   node                        ← /proc/stat, /proc/meminfo, /proc/net/dev, statfs of the data dir
 */
import type { ContainerStatus, Runtime } from '../runtime/runtime.js';
import { isIgnoredInterface, type InterfaceStats } from './proc-parse.js';
import { ProcReader, type FilesystemUsage } from './proc-reader.js';

/**
 * What the provider needs of a runtime: the Runtime interface, plus where
 * a running container's main process is (the host's PID) for runtimes
 * that run processes — the /proc fallback and the pod's network namespace.
 */
export type StatsRuntime = Pick<Runtime, 'listContainers' | 'containerStats' | 'sandboxPid' | 'podSandboxStats'> & {
  containerPid?(id: string): number | undefined;
};

/** A pod the agent runs: a PodWorker is one (podObject, sandboxId). */
export interface StatsPod {
  readonly podObject: { metadata: { name?: string; namespace?: string; uid?: string } };
  readonly sandboxId: string | undefined;
}

export interface ContainerStats {
  name: string;
  id: string;
  image: string;
  /** When it started, in ms since the epoch (its creation when the runtime does not say). */
  startTimeMs: number;
  /** When its usage was read (ms since the epoch). */
  timestampMs: number;
  cpuNanos?: number;
  memoryWorkingSetBytes?: number;
  memoryUsageBytes?: number;
  memoryRssBytes?: number;
  swapBytes?: number;
}

export interface PodStats {
  name: string;
  namespace: string;
  uid: string;
  timestampMs: number;
  containers: ContainerStats[];
  cpuNanos?: number;
  memoryWorkingSetBytes?: number;
  swapBytes?: number;
  /** Its interfaces, when the pod has a network namespace of its own. */
  network?: InterfaceStats[];
}

export interface NodeStats {
  timestampMs: number;
  cpuNanos?: number;
  /** MemTotal − MemAvailable: what the node's memory pressure (MemAvailable) leaves out. */
  memoryWorkingSetBytes?: number;
  /** MemTotal − MemFree: all memory in use, caches included. */
  memoryUsageBytes?: number;
  /** AnonPages: anonymous memory. */
  memoryRssBytes?: number;
  swapBytes?: number;
  memoryCapacityBytes?: number;
  swapCapacityBytes?: number;
  cpuCores?: number;
  network?: InterfaceStats[];
  filesystem?: FilesystemUsage;
  machine?: { machineId: string; systemUuid: string; bootId: string };
}

export interface StatsSnapshot {
  timestampMs: number;
  node: NodeStats;
  pods: PodStats[];
}

export interface StatsProviderOptions {
  runtime: StatsRuntime;
  /** The pods the agent runs now (its pod workers). */
  pods: () => Iterable<StatsPod>;
  /** Whether this node is the machine (its totals come from /proc); false for simulated nodes. */
  machine: boolean;
  /** The node's data directory: its file system's usage is the node's (machine nodes). */
  dataDir?: string;
  /** A snapshot is reused for this long (default 1 s): a burst of scrapes reads once. */
  cacheMs?: number;
  now?: () => number;
  /** Where /proc and /sys are (tests). */
  procRoot?: string;
}

function sumOf(values: (number | undefined)[]): number | undefined {
  if (values.length === 0 || values.some((v) => v === undefined)) return undefined;
  return values.reduce((sum: number, v) => sum + v!, 0);
}

export class NodeStatsProvider {
  private readonly proc: ProcReader;
  private readonly now: () => number;
  private readonly cacheMs: number;
  private cached: StatsSnapshot | undefined;
  private reading: Promise<StatsSnapshot> | undefined;
  /** The last cpu seen from /proc per container: a descendant that ends takes its cpu time with it, and a counter must not go back. */
  private readonly procCpu = new Map<string, number>();

  constructor(private readonly options: StatsProviderOptions) {
    this.proc = new ProcReader(options.procRoot ?? '/');
    this.now = options.now ?? Date.now;
    this.cacheMs = options.cacheMs ?? 1000;
  }

  /** The newest snapshot: cached when younger than the interval, else read (once, for every caller waiting). */
  snapshot(): Promise<StatsSnapshot> {
    if (this.cached && this.now() - this.cached.timestampMs < this.cacheMs) return Promise.resolve(this.cached);
    this.reading ??= this.collect()
      .then((snapshot) => {
        this.cached = snapshot;
        return snapshot;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  private async collect(): Promise<StatsSnapshot> {
    this.proc.beginCollection();
    const timestampMs = this.now();
    const node = this.options.machine ? this.readNode(timestampMs) : { timestampMs };
    const seen = new Set<string>();
    const pods: PodStats[] = [];
    await Promise.all(
      [...this.options.pods()].map(async (pod) => {
        const stats = await this.readPod(pod, seen).catch(() => undefined);
        if (stats) pods.push(stats);
      }),
    );
    for (const id of this.procCpu.keys()) if (!seen.has(id)) this.procCpu.delete(id);
    const keyOf = (p: PodStats) => `${p.namespace}/${p.name}`;
    pods.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    return { timestampMs, node, pods };
  }

  private readNode(timestampMs: number): NodeStats {
    const node: NodeStats = { timestampMs, machine: this.proc.machineIdentity() };
    const cpu = this.proc.machineCpu();
    if (cpu) {
      node.cpuNanos = cpu.busyNanos;
      node.cpuCores = cpu.cores;
    }
    const memory = this.proc.meminfo();
    if (memory?.MemTotal !== undefined) {
      node.memoryCapacityBytes = memory.MemTotal;
      if (memory.MemAvailable !== undefined) node.memoryWorkingSetBytes = Math.max(0, memory.MemTotal - memory.MemAvailable);
      if (memory.MemFree !== undefined) node.memoryUsageBytes = Math.max(0, memory.MemTotal - memory.MemFree);
      if (memory.AnonPages !== undefined) node.memoryRssBytes = memory.AnonPages;
    }
    if (memory?.SwapTotal !== undefined && memory.SwapFree !== undefined) {
      node.swapCapacityBytes = memory.SwapTotal;
      node.swapBytes = Math.max(0, memory.SwapTotal - memory.SwapFree);
    }
    const network = this.proc.netDev('self');
    if (network) node.network = network.filter((i) => !isIgnoredInterface(i.name));
    if (this.options.dataDir) node.filesystem = this.proc.filesystem(this.options.dataDir);
    return node;
  }

  private async readPod(pod: StatsPod, seen: Set<string>): Promise<PodStats | undefined> {
    const { name, namespace, uid } = pod.podObject.metadata;
    if (!pod.sandboxId || !name || !namespace) return undefined;
    const running = (await this.options.runtime.listContainers(pod.sandboxId)).filter((c) => c.state === 'running');
    if (running.length === 0) return undefined;
    const containers = await Promise.all(running.map((status) => this.readContainer(status, seen)));
    containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const stats: PodStats = {
      name,
      namespace,
      uid: uid ?? '',
      timestampMs: Math.max(...containers.map((c) => c.timestampMs)),
      containers,
      cpuNanos: sumOf(containers.map((c) => c.cpuNanos)),
      memoryWorkingSetBytes: sumOf(containers.map((c) => c.memoryWorkingSetBytes)),
      swapBytes: sumOf(containers.map((c) => c.swapBytes)),
    };
    const whole = await this.options.runtime.podSandboxStats?.(pod.sandboxId).catch(() => undefined);
    if (whole) {
      if (whole.cpuNanos !== undefined) stats.cpuNanos = whole.cpuNanos;
      if (whole.memoryWorkingSetBytes !== undefined) stats.memoryWorkingSetBytes = whole.memoryWorkingSetBytes;
      if (whole.network) {
        stats.network = whole.network.filter((i) => !isIgnoredInterface(i.name));
        return stats;
      }
    }
    // The sandbox's process holds the pod's network namespace; every container shares it, so any one's process shows it too.
    const sandboxPid = await this.options.runtime.sandboxPid?.(pod.sandboxId).catch(() => undefined);
    const pid = sandboxPid ?? running.map((c) => this.options.runtime.containerPid?.(c.id)).find((p) => p !== undefined && p > 0);
    if (pid !== undefined && this.proc.hasOwnNetNamespace(pid)) {
      const network = this.proc.netDev(pid);
      if (network) stats.network = network.filter((i) => !isIgnoredInterface(i.name));
    }
    return stats;
  }

  private async readContainer(status: ContainerStatus, seen: Set<string>): Promise<ContainerStats> {
    seen.add(status.id);
    const { runtime } = this.options;
    const fromRuntime = await runtime.containerStats?.(status.id).catch(() => undefined);
    const container: ContainerStats = {
      name: status.name,
      id: status.id,
      image: status.image,
      startTimeMs: (status.startedAt ?? status.createdAt).getTime(),
      timestampMs: this.now(),
    };
    const pid = runtime.containerPid?.(status.id);
    if (fromRuntime) {
      container.cpuNanos = fromRuntime.cpuNanos;
      container.memoryWorkingSetBytes = fromRuntime.memoryBytes;
      const cgroup = pid ? this.proc.containerCgroupMemory(pid, status.id) : undefined;
      if (cgroup) {
        container.memoryUsageBytes = cgroup.usageBytes;
        container.memoryRssBytes = cgroup.rssBytes;
        container.swapBytes = cgroup.swapBytes;
      }
      return container;
    }
    const tree = pid ? this.proc.processTree(pid) : undefined;
    if (tree) {
      const cpu = Math.max(tree.cpuNanos, this.procCpu.get(status.id) ?? 0);
      this.procCpu.set(status.id, cpu);
      container.cpuNanos = cpu;
      container.memoryWorkingSetBytes = tree.rssBytes;
      container.memoryRssBytes = tree.anonBytes;
      container.swapBytes = tree.swapBytes;
    }
    return container;
  }
}
