/**
 * The containerd process itself: started in a session of its own (a Ctrl-C
 * at skiff's terminal must not reach it — skiff stops it, in order), its
 * output into the bounded log, its pid in the state dir; stopped with
 * SIGTERM, then SIGKILL after a grace period. A containerd left behind by an
 * agent that was killed is found by its pid file and stopped before a new
 * one starts on the same socket (its containers run on: they belong to
 * their shims, and the new containerd finds them again).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../../../../util/files.js';
import { SYSTEM_PATH } from './host-facts.js';
import { RotatingLogFile } from '../../../../util/rotating-log-file.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** The environment containerd runs with: the agent's, minus what belongs to the agent's own service manager. */
export function containerdEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...env };
  // containerd would tell systemd "ready" on the agent's behalf, or take the agent's sockets.
  for (const key of ['NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete result[key];
  // Shims find runc, and CNI plugins iptables, through containerd's PATH.
  const path = (env.PATH ?? '').split(':').filter(Boolean);
  result.PATH = [...new Set([...path, ...SYSTEM_PATH])].join(':');
  return result;
}

export function describeExit(exit: Exit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

export class ContainerdProcess {
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly log: RotatingLogFile,
    private readonly pidFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      const finish = (exit: Exit) => {
        if (this.exit) return;
        this.exit = exit;
        rmSync(pidFile, { force: true });
        resolve(exit);
      };
      child.once('exit', (code, signal) => finish({ code, signal }));
      // After 'exit' its last output may still be on the way: the file closes with the pipes.
      child.once('close', () => log.close());
      // A spawn that fails (no such program) gives 'error' and no 'exit'.
      child.once('error', (err) => {
        log.write(Buffer.from(`skiff: ${err.message}\n`));
        log.close();
        finish({ code: null, signal: null });
      });
    });
  }

  static start(options: { program: string; configFile: string; logFile: string; pidFile: string; logMaxBytes?: number }): ContainerdProcess {
    const log = new RotatingLogFile(options.logFile, options.logMaxBytes);
    log.write(Buffer.from(`skiff: starting ${options.program} --config ${options.configFile} at ${new Date().toISOString()}\n`));
    const child = spawn(options.program, ['--config', options.configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: containerdEnvironment() });
    child.stdout!.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr!.on('data', (chunk: Buffer) => log.write(chunk));
    const started = new ContainerdProcess(child, log, options.pidFile);
    if (child.pid !== undefined) writeFileAtomic(options.pidFile, `${child.pid}\n`, 0o644);
    return started;
  }

  get pid(): number | undefined {
    return this.exit ? undefined : this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** SIGTERM, and SIGKILL when it has not ended after `timeoutMs`; resolves once it has ended. */
  async stop(timeoutMs: number = DEFAULT_STOP_TIMEOUT_MS): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }
}

/** Whether a process lives (a zombie counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** The command line of a process, its arguments joined by spaces ('' when gone). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Waits for a process that is not our child to end, polling /proc (there is no exit event for it). */
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Stops the containerd an earlier agent started with this config file, if
 * its pid file names one still running. Says what it did, or undefined.
 */
export async function stopLeftover(pidFile: string, configFile: string, timeoutMs: number = DEFAULT_STOP_TIMEOUT_MS): Promise<string | undefined> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  // The pid may have been reused by now: only a containerd of this config file is ours.
  if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid) || !commandLine(pid).includes(`--config ${configFile}`)) {
    rmSync(pidFile, { force: true });
    return undefined;
  }
  process.kill(pid, 'SIGTERM');
  if (!(await waitGone(pid, timeoutMs))) {
    process.kill(pid, 'SIGKILL');
    await waitGone(pid, 5_000);
  }
  rmSync(pidFile, { force: true });
  return `stopped containerd ${pid}, left running by an earlier agent`;
}
