/**
 * Parsers for the kernel's text files the node's metrics come from: /proc
 * (stat, meminfo, net/dev, a process's stat and status, its cgroup, mounts)
 * and the cgroup files (memory.stat, cpu.stat). Pure functions over text,
 * so tests feed them fixtures; a line they cannot read is skipped.
 */

/** The kernel's clock tick (USER_HZ), the unit of /proc's cpu times: 100 on every Linux architecture Node.js runs on. */
export const clockTicksPerSecond = 100;
const nanosPerTick = 1e9 / clockTicksPerSecond;

export interface MachineCpu {
  /** Cpu time spent busy (all cpus), in nanoseconds: everything but idle and iowait. */
  busyNanos: number;
  /** The cpus the kernel lists (cpu0, cpu1 …): the logical cores online. */
  cores: number;
}

/** /proc/stat's first line (`cpu user nice system idle iowait irq softirq steal guest guest_nice`) and its cpuN lines. */
export function parseProcStat(text: string): MachineCpu | undefined {
  let busy: number | undefined;
  let cores = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      const fields = line.trim().split(/\s+/).slice(1).map(Number);
      if (fields.length < 4 || fields.some((f) => !Number.isFinite(f))) return undefined;
      // guest and guest_nice are counted in user and nice already: the first eight fields are the total.
      const total = fields.slice(0, 8).reduce((sum, f) => sum + f, 0);
      busy = total - fields[3] - (fields[4] ?? 0);
    } else if (/^cpu\d+\s/.test(line)) {
      cores++;
    }
  }
  return busy === undefined ? undefined : { busyNanos: busy * nanosPerTick, cores };
}

/** /proc/meminfo as bytes by field (`MemTotal:  16384 kB` → MemTotal: 16777216). */
export function parseMeminfo(text: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (match) fields[match[1]] = Number(match[2]) * (line.trimEnd().endsWith('kB') ? 1024 : 1);
  }
  return fields;
}

export interface InterfaceStats {
  name: string;
  rxBytes: number;
  txBytes: number;
}

/** /proc/net/dev (two header lines, then `iface: rx_bytes rx_packets … tx_bytes …`). */
export function parseNetDev(text: string): InterfaceStats[] {
  const interfaces: InterfaceStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!name || fields.length < 16 || !Number.isFinite(fields[0]) || !Number.isFinite(fields[8])) continue;
    interfaces.push({ name, rxBytes: fields[0], txBytes: fields[8] });
  }
  return interfaces;
}

/** cadvisor leaves these out of a container's (and the machine's) network: loopback and the host ends of pods' links. */
const ignoredInterfacePrefixes = ['lo', 'veth', 'docker', 'nerdctl'];

export function isIgnoredInterface(name: string): boolean {
  const lower = name.toLowerCase();
  return ignoredInterfacePrefixes.some((prefix) => lower.startsWith(prefix));
}

export interface ProcessStat {
  ppid: number;
  /** utime + stime + cutime + cstime (its own cpu and that of children it waited for), in nanoseconds. */
  cpuNanos: number;
}

/** /proc/<pid>/stat: `pid (comm) state ppid …`, comm may hold spaces and parentheses, so fields count from the last ')'. */
export function parsePidStat(text: string): ProcessStat | undefined {
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ')': state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17).
  const fields = text.slice(end + 1).trim().split(/\s+/);
  if (fields.length < 15) return undefined;
  const ppid = Number(fields[1]);
  const times = fields.slice(11, 15).map(Number);
  if (!Number.isInteger(ppid) || times.some((t) => !Number.isFinite(t))) return undefined;
  return { ppid, cpuNanos: times.reduce((sum, t) => sum + t, 0) * nanosPerTick };
}

export interface ProcessMemory {
  /** VmRSS: resident memory. */
  rssBytes: number;
  /** RssAnon: resident anonymous memory (cadvisor's rss). */
  anonBytes: number;
  /** VmSwap: swapped-out anonymous memory. */
  swapBytes: number;
}

/** /proc/<pid>/status's memory lines (kernel threads have none: zeros). */
export function parsePidStatus(text: string): ProcessMemory {
  const kB = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rssBytes: kB('VmRSS'), anonBytes: kB('RssAnon'), swapBytes: kB('VmSwap') };
}

export interface ProcessCgroups {
  /** The cgroup v2 path (`0::/path`), when the process is on the unified hierarchy. */
  unified?: string;
  /** The v1 path per controller (`4:cpu,cpuacct:/path` gives cpu and cpuacct). */
  controllers: Record<string, string>;
}

/** /proc/<pid>/cgroup. */
export function parsePidCgroup(text: string): ProcessCgroups {
  const result: ProcessCgroups = { controllers: {} };
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!match) continue;
    if (match[1] === '0' && match[2] === '') result.unified = match[3];
    else for (const controller of match[2].split(',')) if (controller) result.controllers[controller] = match[3];
  }
  return result;
}

/** A flat-keyed cgroup file (memory.stat, cpu.stat): `key value` lines. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(\w+)\s+(\d+)\s*$/.exec(line);
    if (match) values[match[1]] = Number(match[2]);
  }
  return values;
}

/** /proc/mounts's octal escapes (`\040` for a space). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The device of the mount holding a path: the longest mount point that is the path or one of its parents. */
export function deviceOfPath(mountsText: string, path: string): string | undefined {
  let best: { point: string; device: string } | undefined;
  for (const line of mountsText.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 3) continue;
    const device = unescapeMountField(fields[0]);
    const point = unescapeMountField(fields[1]);
    const inside = point === '/' || path === point || path.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, device };
  }
  return best?.device;
}
