/**
 * Where the process runtime keeps the state of running pods: in memory,
 * as containerd keeps its task state under /run (a tmpfs).
 *
 * A pod start makes some twenty files and directories of state (the
 * sandbox's record, hosts, resolv.conf and control FIFO; each container's
 * spec, record and pid file, its root file system's mount point) and a pod
 * deletion removes them. On a disk file system each costs an inode
 * allocation — on ext4 without a journal, a scan past every inode freed in
 * the last minutes — and that was a quarter of the agent's CPU per pod
 * start. Such state only matters while its processes run, which a reboot
 * ends anyway, so it belongs in memory; the next agent on the same data dir
 * finds it there and adopts the pods.
 *
 * What must outlive a reboot stays in the data dir: logs, images, and the
 * containers' writable layers (`DIR/runtime/snapshots`: what a container
 * writes is disk, not memory charged to it, as with containerd's
 * snapshotter).
 *
 * The choice, for data dir DIR:
 * - DIR/runtime, on disk as before, while pods started by an earlier skiff
 *   have their state there (they are adopted from where they are);
 * - as root, /run/skiff/KEY, KEY naming DIR: /run/skiff is mounted as a
 *   tmpfs unless it is on one already (as /run is under systemd);
 * - as an ordinary user, $XDG_RUNTIME_DIR/skiff/KEY when that is a tmpfs;
 * - otherwise DIR/runtime, on disk.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** statfs(2)'s f_type for tmpfs. */
const TMPFS_MAGIC = 0x01021994;

export interface RuntimeStateLocation {
  /** The runtime's state dir (ProcessRuntimeOptions.stateDir). */
  stateDir: string;
  /** Where containers' writable layers go when stateDir is in memory (ProcessRuntimeOptions.snapshotDir). */
  snapshotDir?: string;
  /** Whether stateDir is in memory. */
  inMemory: boolean;
  /** Says where, and why, for the agent's log. */
  note: string;
}

/** What the choice depends on, given for tests. */
export interface StateDirHost {
  isRoot: boolean;
  /** Root's base for in-memory state: /run/skiff. */
  runBase: string;
  env: NodeJS.ProcessEnv;
  /** Whether a path (existing) is on a tmpfs. */
  onTmpfs(path: string): boolean;
  /** Mounts a tmpfs at `path` (made if missing); says why not when it cannot. */
  mountTmpfs(path: string): string | undefined;
}

const realHost: StateDirHost = {
  isRoot: process.getuid?.() === 0,
  runBase: '/run/skiff',
  env: process.env,
  onTmpfs: (path) => {
    try {
      return statfsSync(path).type === TMPFS_MAGIC;
    } catch {
      return false;
    }
  },
  mountTmpfs: (path) => {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=0700,nosuid,nodev', 'skiff-run', path], { encoding: 'utf8' });
    if (result.error) return `mount: ${result.error.message}`;
    return result.status === 0 ? undefined : `mount: ${(result.stderr || `exit ${result.status}`).trim()}`;
  },
};

const hasEntries = (dir: string) => existsSync(dir) && readdirSync(dir).length > 0;

/** A short name for a data dir, the same on every start (its real path, hashed). */
export function dataDirKey(dataDir: string): string {
  let path = dataDir;
  try {
    path = realpathSync(dataDir);
  } catch {
    /* not made yet: its path as given */
  }
  return createHash('sha256').update(path).digest('hex').slice(0, 16);
}

export function runtimeStateLocation(dataDir: string, host: StateDirHost = realHost): RuntimeStateLocation {
  const onDisk = join(dataDir, 'runtime');
  const snapshotDir = join(onDisk, 'snapshots');
  if (hasEntries(join(onDisk, 'sandboxes')) || hasEntries(join(onDisk, 'containers'))) {
    return { stateDir: onDisk, inMemory: false, note: `pods' state in ${onDisk}, on disk, where pods started earlier keep theirs` };
  }
  const inMemory = (base: string): RuntimeStateLocation => {
    const stateDir = join(base, dataDirKey(dataDir));
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    // For whoever finds it: which data dir the state belongs to.
    writeFileSync(join(stateDir, 'data-dir'), `${dataDir}\n`);
    return { stateDir, snapshotDir, inMemory: true, note: `pods' state in ${stateDir} (tmpfs), containers' writable layers in ${snapshotDir}` };
  };
  if (host.isRoot) {
    const base = host.runBase;
    const parent = existsSync(base) ? base : dirname(base);
    if (existsSync(parent) && host.onTmpfs(parent)) return inMemory(base);
    const failure = host.mountTmpfs(base);
    if (failure === undefined) return inMemory(base);
    return { stateDir: onDisk, inMemory: false, note: `pods' state in ${onDisk}, on disk: a tmpfs could not be mounted at ${base} (${failure})` };
  }
  const runtimeDir = host.env.XDG_RUNTIME_DIR;
  if (runtimeDir && existsSync(runtimeDir) && host.onTmpfs(runtimeDir)) return inMemory(join(runtimeDir, 'skiff'));
  return { stateDir: onDisk, inMemory: false, note: `pods' state in ${onDisk}, on disk (no $XDG_RUNTIME_DIR on a tmpfs)` };
}

/**
 * Every place a runtime on this data dir may keep its state, existing or
 * not — for readers such as `skiff images`, which must not mount anything.
 */
export function runtimeStateCandidates(dataDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const key = dataDirKey(dataDir);
  return [join(dataDir, 'runtime'), join('/run/skiff', key), ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'skiff', key)] : [])];
}

/**
 * Removes an in-memory state dir that holds no pod any more (`skiff up`
 * stopped its pods): nothing of a data dir that is gone stays in /run.
 */
export function removeIfNoPods(location: RuntimeStateLocation): void {
  if (!location.inMemory) return;
  if (hasEntries(join(location.stateDir, 'sandboxes')) || hasEntries(join(location.stateDir, 'containers'))) return;
  rmSync(location.stateDir, { recursive: true, force: true });
}
