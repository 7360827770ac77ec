/**
 * Reads what the node's metrics need from /proc and /sys/fs/cgroup (under a
 * root directory, so tests point it at fixtures): the machine's cpu, memory
 * and network; a container's processes by its main PID (the process and its
 * descendants); the network namespace a process is in; and the memory
 * figures of the cgroup a process is in. Every read that fails gives
 * undefined: a process that ends mid-read is normal.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import {
  deviceOfPath,
  parseFlatKeyed,
  parseMeminfo,
  parseNetDev,
  parsePidCgroup,
  parsePidStat,
  parsePidStatus,
  parseProcStat,
  type InterfaceStats,
  type MachineCpu,
} from './proc-parse.js';

/** A container's processes at most (a fork bomb must not make a scrape slow). */
const maxProcessesPerTree = 4096;

export interface ProcessTreeUsage {
  cpuNanos: number;
  rssBytes: number;
  anonBytes: number;
  swapBytes: number;
  processes: number;
}

export interface CgroupMemory {
  /** All memory charged to the cgroup, page cache included. */
  usageBytes: number;
  workingSetBytes: number;
  /** Anonymous memory (cadvisor's rss). */
  rssBytes: number;
  swapBytes?: number;
}

export interface FilesystemUsage {
  device: string;
  capacityBytes: number;
  availableBytes: number;
  usedBytes: number;
}

export class ProcReader {
  /** Parent → children, built once per collection when the kernel has no /proc/<pid>/task/<tid>/children. */
  private childrenByScan: Map<number, number[]> | undefined;
  private readonly ownNetNamespace: string | undefined;

  constructor(readonly root = '/') {
    this.ownNetNamespace = this.link('proc/self/ns/net');
  }

  private read(path: string): string | undefined {
    try {
      return readFileSync(join(this.root, path), 'utf8');
    } catch {
      return undefined;
    }
  }

  private link(path: string): string | undefined {
    try {
      return readlinkSync(join(this.root, path));
    } catch {
      return undefined;
    }
  }

  /** Forgets what one collection learnt of the process tree. */
  beginCollection(): void {
    this.childrenByScan = undefined;
  }

  machineCpu(): MachineCpu | undefined {
    const text = this.read('proc/stat');
    return text === undefined ? undefined : parseProcStat(text);
  }

  meminfo(): Record<string, number> | undefined {
    const text = this.read('proc/meminfo');
    return text === undefined ? undefined : parseMeminfo(text);
  }

  /** The interfaces of the network namespace a process is in (`self`: the agent's, the node's). */
  netDev(pid: number | 'self'): InterfaceStats[] | undefined {
    const text = this.read(`proc/${pid}/net/dev`);
    return text === undefined ? undefined : parseNetDev(text);
  }

  /** Whether a process has a network namespace other than the agent's (a pod's own, not the host network). */
  hasOwnNetNamespace(pid: number): boolean {
    const namespace = this.link(`proc/${pid}/ns/net`);
    return namespace !== undefined && this.ownNetNamespace !== undefined && namespace !== this.ownNetNamespace;
  }

  /** Identity of the machine for cadvisor's machine_* labels (empty when unreadable, as cadvisor leaves them). */
  machineIdentity(): { machineId: string; systemUuid: string; bootId: string } {
    return {
      machineId: (this.read('etc/machine-id') ?? '').trim(),
      systemUuid: (this.read('sys/class/dmi/id/product_uuid') ?? '').trim(),
      bootId: (this.read('proc/sys/kernel/random/boot_id') ?? '').trim(),
    };
  }

  /** Size, free space and device of the file system holding a directory (statfs). */
  filesystem(dir: string): FilesystemUsage | undefined {
    try {
      const fs = statfsSync(dir);
      const real = realpathSync(dir);
      const device = deviceOfPath(this.read('proc/self/mounts') ?? '', real) ?? '';
      return { device, capacityBytes: fs.blocks * fs.bsize, availableBytes: fs.bavail * fs.bsize, usedBytes: (fs.blocks - fs.bfree) * fs.bsize };
    } catch {
      return undefined;
    }
  }

  private childrenOf(pid: number): number[] {
    const tasks = (() => {
      try {
        return readdirSync(join(this.root, 'proc', String(pid), 'task'));
      } catch {
        return [];
      }
    })();
    const children: number[] = [];
    let supported = tasks.length > 0;
    for (const task of tasks) {
      const text = this.read(`proc/${pid}/task/${task}/children`);
      if (text === undefined) {
        supported = false;
        break;
      }
      for (const child of text.trim().split(/\s+/)) if (child) children.push(Number(child));
    }
    return supported ? children : (this.scanChildren().get(pid) ?? []);
  }

  /** Every process's parent, from a walk of /proc (kernels without CONFIG_PROC_CHILDREN). */
  private scanChildren(): Map<number, number[]> {
    if (this.childrenByScan) return this.childrenByScan;
    const children = new Map<number, number[]>();
    let entries: string[] = [];
    try {
      entries = readdirSync(join(this.root, 'proc')).filter((entry) => /^\d+$/.test(entry));
    } catch {
      /* no /proc */
    }
    for (const entry of entries) {
      const stat = this.read(`proc/${entry}/stat`);
      const parsed = stat === undefined ? undefined : parsePidStat(stat);
      if (!parsed) continue;
      const list = children.get(parsed.ppid) ?? [];
      list.push(Number(entry));
      children.set(parsed.ppid, list);
    }
    this.childrenByScan = children;
    return children;
  }

  /** Cpu and memory of a process and its descendants; undefined when the process is gone. */
  processTree(pid: number): ProcessTreeUsage | undefined {
    const usage: ProcessTreeUsage = { cpuNanos: 0, rssBytes: 0, anonBytes: 0, swapBytes: 0, processes: 0 };
    const seen = new Set<number>();
    const pending = [pid];
    while (pending.length && seen.size < maxProcessesPerTree) {
      const next = pending.pop()!;
      if (seen.has(next) || !(next > 0)) continue;
      seen.add(next);
      const stat = this.read(`proc/${next}/stat`);
      const parsed = stat === undefined ? undefined : parsePidStat(stat);
      if (!parsed) continue;
      const memory = parsePidStatus(this.read(`proc/${next}/status`) ?? '');
      usage.cpuNanos += parsed.cpuNanos;
      usage.rssBytes += memory.rssBytes;
      usage.anonBytes += memory.anonBytes;
      usage.swapBytes += memory.swapBytes;
      usage.processes++;
      pending.push(...this.childrenOf(next));
    }
    return usage.processes > 0 ? usage : undefined;
  }

  /**
   * The memory figures of a container's own cgroup, found from its main
   * process. Only a cgroup named after the container (its last path
   * element holds the id) counts: a process on a node without cgroups
   * sits in the agent's session, whose figures are not the container's.
   */
  containerCgroupMemory(pid: number, containerId: string): CgroupMemory | undefined {
    const text = this.read(`proc/${pid}/cgroup`);
    if (text === undefined || !containerId) return undefined;
    const cgroups = parsePidCgroup(text);
    const owned = (path: string | undefined) => path !== undefined && (path.split('/').pop() ?? '').includes(containerId);
    const number = (path: string) => {
      const text = this.read(path)?.trim();
      return text && /^\d+$/.test(text) ? Number(text) : undefined;
    };
    const unifiedUsage = owned(cgroups.unified) ? number(`sys/fs/cgroup${cgroups.unified}/memory.current`) : undefined;
    if (unifiedUsage !== undefined) {
      const dir = `sys/fs/cgroup${cgroups.unified}`;
      const usage = unifiedUsage;
      const stat = parseFlatKeyed(this.read(`${dir}/memory.stat`) ?? '');
      return { usageBytes: usage, workingSetBytes: Math.max(0, usage - (stat.inactive_file ?? 0)), rssBytes: stat.anon ?? 0, swapBytes: number(`${dir}/memory.swap.current`) };
    }
    const memoryPath = cgroups.controllers.memory;
    if (!owned(memoryPath)) return undefined;
    const dir = `sys/fs/cgroup/memory${memoryPath}`;
    const usage = number(`${dir}/memory.usage_in_bytes`);
    if (usage === undefined) return undefined;
    const stat = parseFlatKeyed(this.read(`${dir}/memory.stat`) ?? '');
    const inactive = stat.total_inactive_file ?? stat.inactive_file ?? 0;
    return { usageBytes: usage, workingSetBytes: Math.max(0, usage - inactive), rssBytes: stat.total_rss ?? stat.rss ?? 0, swapBytes: stat.total_swap ?? stat.swap };
  }
}
