/**
 * The process runtime: each container's `command` + `args` runs as a
 * process on this machine (the image name is only recorded), its stdout and
 * stderr written to a log file in the CRI format
 * (`<RFC3339Nano> <stdout|stderr> F <line>`), its exit code and time kept
 * for the pod's status. Stopping sends SIGTERM, then SIGKILL after the
 * grace period.
 *
 * This first version runs plain processes on the host network — what an
 * ordinary user gets. Isolation as root (namespaces, a pod IP on a bridge,
 * cgroup limits) and supervisors that outlive the agent come next.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AttachedContainer, ContainerConfig, ContainerStatus, PodSandbox, PodSandboxConfig, Runtime } from '../runtime.js';
import { ContainerEvents } from '../events.js';

export interface ProcessRuntimeOptions {
  /** Where container logs go: `<logDir>/pods/<ns>_<pod>_<uid>/<container>/<n>.log`. */
  logDir: string;
  /** A log file is rotated past this size (upstream's containerLogMaxSize: 10 MiB). */
  logMaxBytes?: number;
  /** Rotated files kept beside the current one (upstream's containerLogMaxFiles: 5, the current one included). */
  logMaxFiles?: number;
  /** The node's IP, which pods on the host network share. */
  hostIP: string;
}

interface Sandbox extends PodSandbox {
  config: PodSandboxConfig;
}

interface Container {
  sandboxId: string;
  config: ContainerConfig;
  status: ContainerStatus;
  process?: ChildProcess;
  logPath: string;
  /** Set when we asked it to stop (a SIGTERM exit is then not a crash). */
  stopping?: boolean;
  /** Who is attached to its output (kubectl attach). */
  attached: Set<(stream: 'stdout' | 'stderr', data: Buffer) => void>;
  exited?: Promise<void>;
}

/** One CRI log line: time, stream, full-line tag, text. */
function criLine(stream: 'stdout' | 'stderr', line: string): string {
  const now = new Date();
  const nanos = String(now.getMilliseconds() * 1_000_000).padStart(9, '0');
  return `${now.toISOString().replace(/\.\d{3}Z$/, `.${nanos}Z`)} ${stream} F ${line}\n`;
}

/**
 * A log file that is rotated when it grows past a size: the full file is
 * renamed `<name>.<timestamp>` (readers following it start over on the new,
 * smaller file), and only the newest rotated files are kept. Writes are
 * synchronous: lines land in order and a rotation never races a write.
 */
class RotatingLog {
  private fd: number;
  private size = 0;
  private rotations = 0;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {
    this.fd = openSync(path, 'a');
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += bytes;
  }

  private rotate(): void {
    closeSync(this.fd);
    // A timestamp and a counter: names sort by age even within one millisecond.
    renameSync(this.path, `${this.path}.${Date.now()}-${String(this.rotations++).padStart(6, '0')}`);
    const dir = dirname(this.path);
    const prefix = `${basename(this.path)}.`;
    const rotated = readdirSync(dir).filter((f) => f.startsWith(prefix)).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - (this.maxFiles - 1)))) unlinkSync(join(dir, old));
    this.fd = openSync(this.path, 'a');
    this.size = 0;
  }

  end(done: () => void): void {
    closeSync(this.fd);
    done();
  }
}

export class ProcessRuntime extends ContainerEvents implements Runtime {
  readonly name = 'process';
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly containers = new Map<string, Container>();
  /** Attempts per container name per sandbox, for the log file names (0.log, 1.log, …). */
  private readonly attempts = new Map<string, number>();
  /** Set once the agent stops: nothing starts any more. */
  private closed = false;

  constructor(private readonly options: ProcessRuntimeOptions) {
    super();
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<PodSandbox> {
    const existing = [...this.sandboxes.values()].find((s) => s.podUid === config.uid && s.state === 'ready');
    if (existing) return existing;
    const sandbox: Sandbox = { id: randomUUID(), podUid: config.uid, ip: this.options.hostIP, createdAt: new Date(), state: 'ready', config };
    this.sandboxes.set(sandbox.id, sandbox);
    return sandbox;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await Promise.all([...this.containers.values()].filter((c) => c.sandboxId === id && c.status.state === 'running').map((c) => this.stopContainer(c.status.id, 0)));
    const sandbox = this.sandboxes.get(id);
    if (sandbox) sandbox.state = 'notready';
  }

  async removePodSandbox(id: string): Promise<void> {
    for (const [containerId, container] of this.containers) if (container.sandboxId === id) await this.removeContainer(containerId).catch(() => {});
    this.sandboxes.delete(id);
  }

  async listPodSandboxes(): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()];
  }

  /** The log file of one attempt of a container, in upstream's layout. */
  logPathFor(sandbox: Sandbox, container: string, attempt: number): string {
    const { namespace, name, uid } = sandbox.config;
    return join(this.options.logDir, 'pods', `${namespace}_${name}_${uid}`, container, `${attempt}.log`);
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const sandbox = this.sandboxes.get(sandboxId);
    if (!sandbox) throw new Error(`sandbox ${sandboxId} not found`);
    const id = randomUUID();
    const attemptKey = `${sandboxId}/${config.name}`;
    const attempt = this.attempts.get(attemptKey) ?? 0;
    this.attempts.set(attemptKey, attempt + 1);
    const logPath = config.logPath ?? this.logPathFor(sandbox, config.name, attempt);
    this.containers.set(id, { sandboxId, config, logPath, attached: new Set(), status: { id, name: config.name, image: config.image, state: 'created', createdAt: new Date(), logPath } });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const container = this.containers.get(id);
    if (!container) throw new Error(`container ${id} not found`);
    if (this.closed) throw new Error('the runtime is shutting down');
    const argv = [...(container.config.command ?? []), ...(container.config.args ?? [])];
    const now = new Date();
    if (!argv.length) {
      // No image support: without a command there is nothing to run — say so clearly.
      container.status = {
        ...container.status,
        state: 'exited',
        startedAt: now,
        finishedAt: now,
        exitCode: 128,
        reason: 'ContainerCannotRun',
        message: `the process runtime runs a container's command; container "${container.config.name}" (image ${container.config.image}) has none`,
      };
      this.emit(container.sandboxId, container.status);
      return;
    }
    mkdirSync(dirname(container.logPath), { recursive: true });
    const log = new RotatingLog(container.logPath, this.options.logMaxBytes ?? 10 * 1024 * 1024, this.options.logMaxFiles ?? 5);
    const sandbox = this.sandboxes.get(container.sandboxId)!;
    const child = spawn(argv[0], argv.slice(1), {
      cwd: container.config.workingDir || undefined,
      env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOSTNAME: sandbox.config.hostname ?? sandbox.config.name, ...container.config.env },
      stdio: [container.config.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own process group, so stopping reaches what it started.
      detached: true,
    });
    container.process = child;
    const pipe = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr') => {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        for (const listener of container.attached) listener(name, Buffer.from(chunk));
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) log.write(criLine(name, line));
      });
      stream.on('end', () => {
        if (buffered) log.write(criLine(name, buffered));
      });
    };
    pipe(child.stdout!, 'stdout');
    pipe(child.stderr!, 'stderr');
    container.status = { ...container.status, state: 'running', startedAt: now };
    container.exited = new Promise((resolve) => {
      const finish = (exitCode: number, reason: string, message?: string) => {
        if (container.status.state === 'exited') return resolve();
        container.status = { ...container.status, state: 'exited', finishedAt: new Date(), exitCode, reason, ...(message ? { message } : {}) };
        // The exit is reported once every line of output is in the log file.
        log.end(() => {
          this.emit(container.sandboxId, container.status);
          resolve();
        });
      };
      child.on('error', (err) => finish(128, 'ContainerCannotRun', err.message));
      // 'close', not 'exit': it comes after stdout and stderr have been read to the end.
      child.on('close', (code, signal) => {
        // A process killed by a signal exits with 128 + the signal's number, as in a shell.
        const signals: Record<string, number> = { SIGTERM: 15, SIGKILL: 9, SIGINT: 2 };
        const exitCode = code ?? 128 + (signals[signal ?? ''] ?? 1);
        finish(exitCode, exitCode === 0 ? 'Completed' : 'Error');
      });
    });
    this.emit(container.sandboxId, container.status);
  }

  attach(id: string, output: (stream: 'stdout' | 'stderr', data: Buffer) => void): AttachedContainer | undefined {
    const container = this.containers.get(id);
    if (!container?.process || container.status.state !== 'running') return undefined;
    container.attached.add(output);
    const stdin = container.process.stdin;
    return {
      writeStdin: stdin ? (data) => stdin.write(data) : undefined,
      closeStdin: stdin ? () => stdin.end() : undefined,
      detach: () => container.attached.delete(output),
      exited: container.exited!.then(() => container.status.exitCode ?? 0),
    };
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const container = this.containers.get(id);
    const child = container?.process;
    if (!container || !child || container.status.state !== 'running') return;
    container.stopping = true;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, name);
      } catch {
        child.kill(name);
      }
    };
    signal('SIGTERM');
    const killer = setTimeout(() => signal('SIGKILL'), Math.max(0, timeoutSeconds) * 1000);
    killer.unref();
    await container.exited;
    clearTimeout(killer);
  }

  async removeContainer(id: string): Promise<void> {
    const container = this.containers.get(id);
    if (container?.status.state === 'running') await this.stopContainer(id, 0);
    this.containers.delete(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const container = this.containers.get(id);
    return container ? { ...container.status } : undefined;
  }

  async listContainers(sandboxId: string): Promise<ContainerStatus[]> {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId).map((c) => ({ ...c.status }));
  }

  /** Stops every container (agent shutdown in tests). */
  async stopAll(graceSeconds = 0): Promise<void> {
    await Promise.all([...this.containers.keys()].map((id) => this.stopContainer(id, graceSeconds)));
  }

  /**
   * The agent is stopping: its containers stop too (SIGTERM, SIGKILL after
   * 5 s) — they are its children and would otherwise keep it alive. Keeping
   * them running across an agent restart needs the per-container
   * supervisors that come next.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    await this.stopAll(5);
  }
}
