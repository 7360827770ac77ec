/**
 * What the process runtime asks of the machine: programs on the PATH,
 * whether namespaces can be made, whether a process group or a pod shim
 * still lives, and small reads and writes of files, FIFOs and /proc.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Whether a program name is found on the PATH the container gets (absolute paths are left to the container). */
export function findExecutable(name: string, path: string): boolean {
  if (name.includes('/')) return true;
  return path.split(delimiter).some((dir) => {
    try {
      const stat = statSync(join(dir, name));
      return stat.isFile() && (stat.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

/**
 * Whether pods can be isolated here: root, `ip` (for the bridge), and a
 * kernel (or container) that lets us make namespaces — tried once with
 * `unshare`.
 */
export function canIsolate(): boolean {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  if (!['ip', 'unshare'].every((tool) => findExecutable(tool, process.env.PATH ?? defaultPath))) return false;
  const probe = spawnSync('unshare', ['--net', '--pid', '--mount', '--uts', '--ipc', '--fork', 'true'], { stdio: 'ignore', timeout: 5000 });
  return probe.status === 0;
}

/**
 * Whether an ordinary user may run isolated pods here, rootless: the kernel
 * lets it make a user namespace (and in it mount, PID, IPC and UTS ones)
 * and mount an overlay there (Linux 5.11+) — tried once, with `unshare`
 * and `mount` in a scratch directory.
 */
export function canIsolateRootless(): boolean {
  if (typeof process.getuid !== 'function' || process.getuid() === 0) return false;
  if (!findExecutable('unshare', process.env.PATH ?? defaultPath)) return false;
  const scratch = mkdtempSync(join(tmpdir(), 'skiff-rootless-probe-'));
  try {
    for (const dir of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(scratch, dir));
    const overlay = `lowerdir=${scratch}/lower,upperdir=${scratch}/upper,workdir=${scratch}/work`;
    const probe = spawnSync(
      'unshare',
      ['--user', '--map-root-user', '--mount', '--pid', '--ipc', '--uts', '--fork', 'mount', '-t', 'overlay', 'overlay', '-o', `userxattr,${overlay}`, `${scratch}/merged`],
      { stdio: 'ignore', timeout: 5000 },
    );
    return probe.status === 0;
  } catch {
    return false;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function alive(pgid: number | undefined): boolean {
  if (!pgid) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

export function writeAll(fd: number, data: Buffer): void {
  try {
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset);
  } catch {
    /* the pipe is full or gone: the container is not reading */
  }
}

/** Whether a PID is a pod shim's (and not a process that got the number of one that ended). */
export function isPodShim(pid: number | undefined): pid is number {
  return !!pid && readText(`/proc/${pid}/comm`) === 'skiff-pod';
}

/**
 * Replaces a small file's content in place: written over from the start,
 * then cut to its new length. Not `writeFileSync`, whose truncation to zero
 * makes ext4 write the file's blocks out at once (its guard against empty
 * files after a power loss): 5× the cost, and far more while the apiserver
 * fsyncs on the same disk. A reader never sees a partial record after the
 * agent is killed (one write of a few hundred bytes).
 */
export function overwriteFile(path: string, content: string): void {
  const data = Buffer.from(content);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o644);
  try {
    writeSync(fd, data, 0, data.length, 0);
    ftruncateSync(fd, data.length);
  } finally {
    closeSync(fd);
  }
}
