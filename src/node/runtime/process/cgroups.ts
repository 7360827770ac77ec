/**
 * Cgroup limits and usage for containers, on cgroup v2 (one unified tree)
 * or v1 (a tree per controller). Each container gets
 * `skiff/<pod uid>/<container id>` under the memory, cpu and pids
 * controllers; the container (cloned by its pod shim) joins them before its command runs, so
 * everything the container starts is counted and limited there.
 *
 *   memory limit → memory.max (v2) / memory.limit_in_bytes (v1); going over
 *                  gets the container OOM-killed, seen in memory.events /
 *                  memory.oom_control as oom_kill
 *   cpu limit    → cpu.max (v2) / cpu.cfs_quota_us per cpu.cfs_period_us (v1)
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = '/sys/fs/cgroup';
const cfsPeriodUs = 100_000;

export type CgroupVersion = 'v1' | 'v2';

/** The cgroup version this machine uses for containers, or undefined when we cannot write cgroups. */
export function detectCgroups(): CgroupVersion | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return undefined;
  let version: CgroupVersion | undefined;
  if (existsSync(join(root, 'cgroup.controllers'))) {
    version = readFileSync(join(root, 'cgroup.controllers'), 'utf8').includes('memory') ? 'v2' : undefined;
  } else if (existsSync(join(root, 'memory', 'memory.limit_in_bytes'))) {
    version = 'v1';
  }
  if (!version) return undefined;
  // Root is not enough inside some containers, where /sys/fs/cgroup is read-only: try.
  try {
    mkdirSync(version === 'v2' ? join(root, 'skiff') : join(root, 'memory', 'skiff'), { recursive: true });
    return version;
  } catch {
    return undefined;
  }
}

let mountedV1Controllers: string[] | undefined;

/** The v1 controllers skiff uses that this machine has mounted (looked up once: they do not come and go). */
function v1Controllers(): string[] {
  mountedV1Controllers ??= ['memory', 'cpu', 'cpuacct', 'pids'].filter((c) => existsSync(join(root, c)));
  return mountedV1Controllers;
}

export interface ContainerCgroupLimits {
  memoryBytes?: number;
  milliCPU?: number;
}

/** One container's cgroups: created with its limits, read for usage and OOM kills, removed with it. */
export class ContainerCgroup {
  readonly dirs: string[];

  constructor(
    readonly version: CgroupVersion,
    readonly path: string,
  ) {
    this.dirs = version === 'v2' ? [join(root, path)] : v1Controllers().map((c) => join(root, c, path));
  }

  /** Creates the cgroups and sets the limits. */
  create(limits: ContainerCgroupLimits): void {
    if (this.version === 'v2') enableV2Controllers(this.path);
    for (const dir of this.dirs) mkdirSync(dir, { recursive: true });
    const memory = limits.memoryBytes && limits.memoryBytes > 0 ? limits.memoryBytes : undefined;
    const quotaUs = limits.milliCPU && limits.milliCPU > 0 ? Math.max(1000, Math.round((limits.milliCPU * cfsPeriodUs) / 1000)) : undefined;
    if (this.version === 'v2') {
      const dir = this.dirs[0];
      if (memory) {
        writeFileSync(join(dir, 'memory.max'), String(memory));
        writeFileSync(join(dir, 'memory.swap.max'), '0', { flag: 'w' });
      }
      if (quotaUs) writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${cfsPeriodUs}`);
      return;
    }
    const memoryDir = this.dirs.find((d) => d.startsWith(join(root, 'memory')));
    const cpuDir = this.dirs.find((d) => d.startsWith(join(root, 'cpu') + '/'));
    if (memory && memoryDir) {
      writeFileSync(join(memoryDir, 'memory.limit_in_bytes'), String(memory));
      // Without swap limits a container could swap instead of being OOM-killed; not every kernel has the file.
      try {
        writeFileSync(join(memoryDir, 'memory.memsw.limit_in_bytes'), String(memory));
      } catch {
        /* no swap accounting */
      }
    }
    if (quotaUs && cpuDir) {
      writeFileSync(join(cpuDir, 'cpu.cfs_period_us'), String(cfsPeriodUs));
      writeFileSync(join(cpuDir, 'cpu.cfs_quota_us'), String(quotaUs));
    }
  }

  /** The files the container writes itself into (see cgroup= in the container spec). */
  procsFiles(): string[] {
    return this.dirs.map((dir) => join(dir, 'cgroup.procs'));
  }

  /** Whether the kernel's OOM killer killed a process of the container. */
  oomKilled(): boolean {
    try {
      const file = this.version === 'v2' ? join(this.dirs[0], 'memory.events') : join(root, 'memory', this.path, 'memory.oom_control');
      const match = /^oom_kill (\d+)/m.exec(readFileSync(file, 'utf8'));
      return match !== null && Number(match[1]) > 0;
    } catch {
      return false;
    }
  }

  /** Memory in use (bytes, without the page cache that can be reclaimed) and cpu used (nanoseconds). */
  usage(): { memoryBytes: number; cpuNanos: number } | undefined {
    try {
      if (this.version === 'v2') {
        const dir = this.dirs[0];
        const memory = Number(readFileSync(join(dir, 'memory.current'), 'utf8'));
        const inactive = /^inactive_file (\d+)/m.exec(readFileSync(join(dir, 'memory.stat'), 'utf8'));
        const cpu = /^usage_usec (\d+)/m.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'));
        return { memoryBytes: Math.max(0, memory - Number(inactive?.[1] ?? 0)), cpuNanos: Number(cpu?.[1] ?? 0) * 1000 };
      }
      const memory = Number(readFileSync(join(root, 'memory', this.path, 'memory.usage_in_bytes'), 'utf8'));
      const inactive = /^total_inactive_file (\d+)/m.exec(readFileSync(join(root, 'memory', this.path, 'memory.stat'), 'utf8'));
      const cpu = Number(readFileSync(join(root, 'cpuacct', this.path, 'cpuacct.usage'), 'utf8'));
      return { memoryBytes: Math.max(0, memory - Number(inactive?.[1] ?? 0)), cpuNanos: cpu };
    } catch {
      return undefined;
    }
  }

  /** Removes the cgroups (once nothing runs in them), and the pod's when it is empty. */
  remove(): void {
    if (this.version === 'v1') releaseV1Memory(join(root, 'memory', this.path));
    for (const dir of this.dirs) {
      for (const path of [dir, join(dir, '..')]) {
        try {
          rmdirSync(path);
        } catch {
          /* still in use, or already gone */
        }
      }
    }
  }
}

/**
 * Gives back the memory still charged to an empty v1 memory cgroup (page
 * cache its processes read or wrote) before it is removed. Otherwise the
 * kernel keeps a removed cgroup, dying, for as long as such pages stay in
 * the cache, which on a machine with free memory is indefinitely: 600 pod
 * starts left about 300 such cgroups in the kernel (/proc/cgroups), about 40
 * with this. The kernel walks dying cgroups too (memory statistics, reclaim),
 * so they cost more the more there are.
 */
export function releaseV1Memory(dir: string): void {
  try {
    writeFileSync(join(dir, 'memory.force_empty'), '0');
  } catch {
    /* processes are still in it (it stays), or it is gone already */
  }
}

/** On v2, a controller works in a child only when every ancestor delegates it (cgroup.subtree_control). */
function enableV2Controllers(path: string): void {
  const parts = path.split('/').filter(Boolean);
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    try {
      writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory +cpu +pids');
    } catch {
      /* already on, or not delegated to us: the limits then fail loudly below */
    }
    dir = join(dir, part);
    mkdirSync(dir, { recursive: true });
  }
  try {
    writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory +cpu +pids');
  } catch {
    /* as above */
  }
}
