/**
 * What the machine offers that containerd's configuration depends on, each
 * found out the way containerd or the kubelet would find it, with the
 * reason kept for the log: the snapshotter (a trial overlay mount), the
 * cgroup driver, AppArmor, the user namespace, and where the programs are.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { findProgramIn, isExecutable } from '../../../../util/programs.js';

/** statfs(2)'s f_type of a cgroup v2 hierarchy. */
const CGROUP2_SUPER_MAGIC = 0x63677270;

/** The plugins the conflist and containerd's own loopback network run. */
export const REQUIRED_CNI_PLUGINS = ['bridge', 'host-local', 'portmap', 'loopback'] as const;

/** Debian's place first (the packaged plugins), then the upstream tarball's. */
export const CNI_BIN_DIR_CANDIDATES = ['/usr/lib/cni', '/opt/cni/bin'];

/** Where root's programs are looked for (a service's PATH may lack the sbin directories). */
export const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export interface Choice<T> {
  value: T;
  /** Why, in a few words, for the log. */
  reason: string;
}

/** A program's path in `dirs` (the PATH's, then the system's), or undefined. */
export function findProgram(name: string, dirs: string[] = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SYSTEM_PATH]): string | undefined {
  return findProgramIn(name, dirs);
}

/**
 * The CNI plugin directory: containerd 1.6 takes a single `bin_dir`, so the
 * first candidate that holds every plugin needed; else what is missing.
 */
export function findCniBinDir(candidates: string[] = CNI_BIN_DIR_CANDIDATES): { dir: string } | { problem: string } {
  const missingIn: string[] = [];
  for (const dir of candidates) {
    const missing = REQUIRED_CNI_PLUGINS.filter((plugin) => !isExecutable(join(dir, plugin)));
    if (missing.length === 0) return { dir };
    if (existsSync(dir)) missingIn.push(`${dir} lacks ${missing.join(', ')}`);
  }
  const where = missingIn.length > 0 ? missingIn.join('; ') : `none of ${candidates.join(', ')} exists`;
  return { problem: `no CNI plugin directory with ${REQUIRED_CNI_PLUGINS.join(', ')} (${where}): install containernetworking-plugins` };
}

/**
 * overlayfs when a trial overlay mount works in containerd's root (its
 * overlayfs snapshotter checks the same and refuses otherwise: an old
 * kernel, a root on a file system overlay cannot sit on); else `native`,
 * which copies each layer — slower and bigger, but it works anywhere.
 */
export function detectSnapshotter(rootDir: string): Choice<'overlayfs' | 'native'> {
  mkdirSync(rootDir, { recursive: true, mode: 0o711 });
  const trial = mkdtempSync(join(rootDir, '.overlay-check-'));
  try {
    for (const dir of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(trial, dir));
    const options = `lowerdir=${join(trial, 'lower')},upperdir=${join(trial, 'upper')},workdir=${join(trial, 'work')}`;
    const mounted = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', options, join(trial, 'merged')], { encoding: 'utf8', timeout: 10_000 });
    if (mounted.error || mounted.status !== 0) {
      const why = (mounted.error?.message ?? mounted.stderr ?? '').trim() || `mount exited ${mounted.status}`;
      return { value: 'native', reason: `overlay cannot be mounted in ${rootDir} (${why})` };
    }
    spawnSync('umount', [join(trial, 'merged')], { timeout: 10_000 });
    return { value: 'overlayfs', reason: `overlay mounts in ${rootDir}` };
  } finally {
    rmSync(trial, { recursive: true, force: true });
  }
}

/**
 * runc's cgroup driver. The systemd driver only where systemd runs the
 * machine (PID 1) on the unified hierarchy: there systemd expects to be the
 * only one writing the cgroup tree, and the kubelet's docs ask for the
 * systemd driver; anywhere else (no systemd, or cgroup v1, where writing
 * cgroupfs beside systemd is the long-standing default) cgroupfs.
 */
export function detectCgroupDriver(facts: { pid1: string; cgroupV2: boolean } = { pid1: pid1Name(), cgroupV2: unifiedCgroups() }): Choice<'systemd' | 'cgroupfs'> {
  const systemd = facts.pid1 === 'systemd';
  if (systemd && facts.cgroupV2) return { value: 'systemd', reason: 'systemd is PID 1 and cgroups are v2' };
  const why = systemd ? 'cgroups are v1' : `PID 1 is ${facts.pid1 || 'unknown'}, not systemd`;
  return { value: 'cgroupfs', reason: why };
}

function pid1Name(): string {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    return '';
  }
}

function unifiedCgroups(): boolean {
  try {
    return statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/** AppArmor is on when the kernel module says so (what containerd checks before loading profiles). */
export function apparmorEnabled(readFlag: () => string = () => readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8')): boolean {
  try {
    return readFlag().trim().startsWith('Y');
  } catch {
    return false;
  }
}

/** Whether a uid_map is the initial user namespace's (every uid mapped to itself). */
export function isInitialUserNamespace(uidMap: string): boolean {
  const lines = uidMap.trim().split('\n');
  if (lines.length !== 1) return false;
  const [inside, outside, count] = lines[0].trim().split(/\s+/).map(Number);
  return inside === 0 && outside === 0 && count === 4294967295;
}

/** CAP_SYS_RESOURCE's bit: what lowering an oom_score_adj takes. */
const CAP_SYS_RESOURCE = 24n;

/** Whether a /proc/<pid>/status shows CAP_SYS_RESOURCE among the effective capabilities. */
export function hasSysResource(status: string): boolean {
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return effective !== undefined && ((BigInt(`0x${effective}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

/**
 * Whether processes started here may get an oom_score_adj below ours: in the
 * initial user namespace, with CAP_SYS_RESOURCE (a container or sandboxed
 * VM may give root neither).
 */
export function detectOomScoreAdjLowering(facts: { uidMap: string; status: string } = { uidMap: readOr('/proc/self/uid_map'), status: readOr('/proc/self/status') }): Choice<boolean> {
  if (!isInitialUserNamespace(facts.uidMap)) return { value: false, reason: 'in a user namespace' };
  if (!hasSysResource(facts.status)) return { value: false, reason: 'without CAP_SYS_RESOURCE' };
  return { value: true, reason: 'initial user namespace with CAP_SYS_RESOURCE' };
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
