/**
 * What the process runtime asks of the machine: programs on the PATH,
 * whether namespaces can be made, whether a process group still lives, and
 * small reads and writes of files, FIFOs and /proc.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
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
 * Whether pods can be isolated here: root, the tools, and a kernel (or
 * container) that lets us make namespaces — tried once with `unshare`.
 */
export function canIsolate(): boolean {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  if (!['ip', 'nsenter', 'unshare', 'mount'].every((tool) => findExecutable(tool, process.env.PATH ?? defaultPath))) return false;
  const probe = spawnSync('unshare', ['--net', '--pid', '--mount', '--uts', '--ipc', '--fork', 'true'], { stdio: 'ignore', timeout: 5000 });
  return probe.status === 0;
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

/**
 * The host PID of the init of a container's PID namespace (the supervisor):
 * a child of the `unshare` that started it, or — once that has exited — the
 * process of the group whose PID in its own namespace is 1.
 */
export function namespaceInit(pgid: number): number | undefined {
  const children = readText(`/proc/${pgid}/task/${pgid}/children`).split(/\s+/).filter(Boolean);
  if (children.length) return Number(children[0]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    const nspid = /^NSpid:\s+(.*)$/m.exec(readText(`/proc/${entry}/status`))?.[1].trim().split(/\s+/);
    if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return Number(entry);
  }
  return undefined;
}
