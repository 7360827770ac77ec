/**
 * A command run inside a running container by the process runtime:
 * `skiff-shim exec` (shim/exec.c) joins the container's namespaces and
 * root, takes on its environment, working directory, cgroups, user and
 * capabilities from the container's own spec file, and runs the command —
 * on a terminal of its own when asked, which it relays, resizable through
 * its fd 3. Why a command never started comes on its fd 4, apart from the
 * command's output.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import type { ExecOptions, ExecProcess, TerminalSize } from '../runtime.js';

/** What is kept of a start failure's explanation. */
const maxReasonBytes = 4096;

export interface ExecTarget {
  /** skiff-shim. */
  binary: string;
  /** The container's state directory (its `spec`). */
  containerDir: string;
  /** Its main process on the node, whose namespaces the command joins; undefined when the pod shares the node's. */
  pid?: number;
}

function clampSize(size: TerminalSize): TerminalSize {
  const clamp = (n: number) => Math.max(1, Math.min(1000, Math.floor(n) || 1));
  return { width: clamp(size.width), height: clamp(size.height) };
}

export function startExec(target: ExecTarget, command: string[], options: ExecOptions): ExecProcess {
  const size = options.tty ? clampSize(options.tty) : undefined;
  const args = ['exec', target.containerDir, target.pid ? String(target.pid) : '-', size ? `${size.height}x${size.width}` : '-', '--', ...command];
  // fd 3: resize lines to the shim (a terminal only); fd 4: why the command did not start.
  const child = spawn(target.binary, args, {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', size ? 'pipe' : 'ignore', 'pipe'],
    // The command's environment is the container's, from its spec; the shim itself needs none.
    env: {},
  });
  const control = child.stdio[3] as Writable | null;
  control?.on('error', () => {});
  child.stdin?.on('error', () => {});
  let reason = '';
  child.stdio[4]?.on('data', (chunk: Buffer) => {
    if (reason.length < maxReasonBytes) reason += chunk.toString('utf8').slice(0, maxReasonBytes - reason.length);
  });
  const done = new Promise<{ exitCode: number | null; error?: string }>((resolve) => {
    child.on('error', (err) => resolve({ exitCode: null, error: `cannot run skiff-shim exec: ${err.message}` }));
    child.on('close', (code, signal) => {
      if (reason) resolve({ exitCode: code, error: reason.trim() });
      else resolve({ exitCode: code ?? (signal ? 128 + (constants.signals[signal] ?? 9) : null) });
    });
  });
  return {
    ...(child.stdin ? { stdin: child.stdin } : {}),
    stdout: child.stdout!,
    stderr: child.stderr!,
    resize: (next) => {
      if (!control || control.destroyed) return;
      const s = clampSize(next);
      control.write(`${s.height} ${s.width}\n`);
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    done,
  };
}
