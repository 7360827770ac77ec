/**
 * The process's open-file limit (RLIMIT_NOFILE), which bounds how many
 * connections the apiserver can hold. Node raises the soft limit to the hard
 * one when it starts, but cannot call setrlimit itself afterwards. At start
 * we ask util-linux's `prlimit` to raise it for our own pid: to the hard
 * limit if Node did not, and with CAP_SYS_RESOURCE (root outside a
 * restricted container) beyond it, as k3s's unit sets LimitNOFILE=1048576.
 * Whatever the outcome, the log says which limit the server runs with.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface DescriptorLimit {
  soft: number;
  hard: number;
}

/** What a privileged process asks for, as systemd units of Kubernetes distributions do. */
const privilegedTarget = 1_048_576;

/** The current limit from /proc/self/limits; undefined where there is no /proc (macOS). */
export function readDescriptorLimit(): DescriptorLimit | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const match = line && /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
    if (!match) return undefined;
    const value = (text: string) => (text === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(text));
    return { soft: value(match[1]), hard: value(match[2]) };
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  try {
    const value = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this process may raise a hard limit (CAP_SYS_RESOURCE, capability 24, in its effective set). */
function maySetHardLimit(): boolean {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('CapEff:'));
    return line !== undefined && (BigInt(`0x${line.slice('CapEff:'.length).trim()}`) & (1n << 24n)) !== 0n;
  } catch {
    return false;
  }
}

function setWithPrlimit(limit: number): string | undefined {
  const result = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${limit}:${limit}`], { encoding: 'utf8', timeout: 5000 });
  if (result.error) return (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no prlimit command (util-linux)' : result.error.message;
  if (result.status !== 0) return (result.stderr || `prlimit exited with ${result.status}`).trim();
  return undefined;
}

/**
 * Raises the limit as far as this process may: to the hard limit, and as
 * root beyond it (up to the kernel's fs.nr_open). Returns the limit in
 * force afterwards, and logs what it could not do.
 */
export function raiseDescriptorLimit(log: (event: Record<string, unknown>) => void): DescriptorLimit | undefined {
  const before = readDescriptorLimit();
  if (!before) {
    log({ msg: 'descriptor limit unknown (no /proc/self/limits): not raised' });
    return undefined;
  }
  const kernelMax = readNumber('/proc/sys/fs/nr_open') ?? before.hard;
  // Only a process with CAP_SYS_RESOURCE may go beyond the hard limit (root in a container often may not).
  const wanted = maySetHardLimit() ? Math.max(before.hard, Math.min(kernelMax, privilegedTarget)) : before.hard;
  if (before.soft >= wanted) {
    log({ msg: 'descriptor limit', v: 1, soft: before.soft, hard: before.hard });
    return before;
  }
  const problem = setWithPrlimit(wanted);
  const after = readDescriptorLimit() ?? before;
  if (after.soft < wanted) {
    log({ msg: 'could not raise the descriptor limit: the connection cap follows the limit as it is', soft: after.soft, hard: after.hard, wanted, reason: problem ?? 'unknown' });
  } else {
    log({ msg: 'raised the descriptor limit', from: before.soft, soft: after.soft, hard: after.hard });
  }
  return after;
}
