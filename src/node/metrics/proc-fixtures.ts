/**
 * Fixtures for the metrics' tests: /proc and cgroup text as the kernel
 * writes it, and a fake root directory (proc/, sys/fs/cgroup/, etc/) that
 * ProcReader reads like the real one.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const procStatFixture = `cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0
cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0
cpu1 1335519 30380 548478 13307456 3431 0 2929 0 23766 0
intr 1462898 5 0 0
ctxt 2297418
btime 1700000000
processes 26442
`;

export const meminfoFixture = `MemTotal:       16314180 kB
MemFree:         1056216 kB
MemAvailable:    9262020 kB
Buffers:          372540 kB
Cached:          8045648 kB
AnonPages:       5603864 kB
Inactive(file):  3983440 kB
SwapTotal:       2097148 kB
SwapFree:        1572860 kB
HugePages_Total:       0
`;

export const netDevFixture = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 4398012   43211    0    0    0     0          0         0  4398012   43211    0    0    0     0       0          0
  eth0: 987654321  823411    0   12    0     0          0      1024 123456789  512345    0    0    0     0       0          0
vethab12cd:  1000  10    0    0    0     0          0         0  2000  20    0    0    0     0       0          0
 cni0: 5000 50 0 0 0 0 0 0 6000 60 0 0 0 0 0 0
`;

export interface FixtureProcess {
  ppid: number;
  /** utime, stime, cutime, cstime in clock ticks. */
  ticks?: [number, number, number, number];
  rssKb?: number;
  anonKb?: number;
  swapKb?: number;
  /** Written into task/<pid>/children unless the root has no children files. */
  children?: number[];
  /** The network namespace link (`net:[…]`); default the node's. */
  netNamespace?: string;
  netDev?: string;
  cgroup?: string;
}

export const nodeNetNamespace = 'net:[4026531840]';

/** A directory laid out as / is, for ProcReader. */
export class FixtureRoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'skiff-metrics-fixture-'));

  constructor(options: { childrenFiles?: boolean } = {}) {
    this.childrenFiles = options.childrenFiles ?? true;
    this.file('proc/stat', procStatFixture);
    this.file('proc/meminfo', meminfoFixture);
    this.file('proc/self/net/dev', netDevFixture);
    this.file('proc/self/mounts', '/dev/sda1 / ext4 rw 0 0\n');
    this.file('etc/machine-id', 'fixture-machine-id\n');
    this.file('proc/sys/kernel/random/boot_id', 'fixture-boot-id\n');
    this.link('proc/self/ns/net', nodeNetNamespace);
  }

  private readonly childrenFiles: boolean;

  file(path: string, content: string): this {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    return this;
  }

  link(path: string, target: string): this {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    rmSync(full, { force: true });
    symlinkSync(target, full);
    return this;
  }

  process(pid: number, p: FixtureProcess): this {
    const [utime, stime, cutime, cstime] = p.ticks ?? [0, 0, 0, 0];
    this.file(`proc/${pid}/stat`, `${pid} (proc ${pid}) S ${p.ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 100 1000 10\n`);
    this.file(`proc/${pid}/status`, `Name:\tproc\nVmRSS:\t${p.rssKb ?? 0} kB\nRssAnon:\t${p.anonKb ?? 0} kB\nVmSwap:\t${p.swapKb ?? 0} kB\n`);
    mkdirSync(join(this.dir, `proc/${pid}/task/${pid}`), { recursive: true });
    if (this.childrenFiles) this.file(`proc/${pid}/task/${pid}/children`, (p.children ?? []).map((c) => `${c} `).join(''));
    this.link(`proc/${pid}/ns/net`, p.netNamespace ?? nodeNetNamespace);
    if (p.netDev) this.file(`proc/${pid}/net/dev`, p.netDev);
    if (p.cgroup) this.file(`proc/${pid}/cgroup`, p.cgroup);
    return this;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
