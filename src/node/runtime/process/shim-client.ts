/**
 * The agent's side of skiff-shim (shim/README.md): the node helper that
 * makes pod sandboxes, the pod shims that start containers, and the events
 * they report. Nothing here forks per pod: the helper is started once, and
 * a container start is a line written into its pod shim's control FIFO.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, constants, existsSync, openSync, write } from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built helper is: `dist/shim/skiff-shim`, found by walking up
 * from this module (it runs from dist/src/… unbundled, or dist/chunks/
 * bundled). SKIFF_SHIM names another one.
 */
export function shimBinary(): string | undefined {
  if (process.env.SKIFF_SHIM) return process.env.SKIFF_SHIM;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shim', 'skiff-shim');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** How pods are isolated: by root (namespaces, cgroups, a bridge), in an ordinary user's user namespace, or not at all. */
export type Isolation = 'root' | 'rootless' | 'none';

/** The node helper's numbers for them (shim.h ISOLATE_*). */
const isolationLevels: Record<Isolation, number> = { none: 0, root: 1, rootless: 2 };

export interface SandboxRequest {
  id: string;
  dir: string;
  hostname: string;
  /** Own PID and IPC namespaces (`root`), and a user and UTS namespace too (`rootless`); none: a plain process. */
  isolation: Isolation;
  /** Own network and UTS namespaces, plugged into the node's bridge. */
  network?: { veth: string; ip: string; prefixLength: number; gateway: string; bridge: string; mac: string };
}

/** A field of a request line: tabs and newlines would split it. */
function field(value: string): string {
  if (/[\t\n]/.test(value)) throw new Error(`skiff-shim: a tab or newline in ${JSON.stringify(value)}`);
  return value;
}

/**
 * The node helper (`skiff-shim node STATE_DIR`): one request at a time on
 * its stdin, answered in order on its stdout. Started on first use, and
 * again if it ever ends.
 */
export class NodeHelper {
  private child: ChildProcess | undefined;
  private pending: { resolve: (value: number) => void; reject: (err: Error) => void }[] = [];
  private buffered = '';

  /** `cgroupProcs`: the cgroup.procs files the helper moves itself into at its start, so the pod shims it forks are born there. */
  constructor(
    private readonly binary: string,
    private readonly stateDir: string,
    private readonly cgroupProcs: string[] = [],
  ) {}

  private start(): ChildProcess {
    const child = spawn(this.binary, ['node', this.stateDir, ...this.cgroupProcs], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      // A helper that ended may still have lines on the way: they answer nothing of its successor's.
      if (this.child !== child) return;
      this.buffered += chunk;
      for (let newline = this.buffered.indexOf('\n'); newline >= 0; newline = this.buffered.indexOf('\n')) {
        const [status, , value] = this.buffered.slice(0, newline).split('\t');
        this.buffered = this.buffered.slice(newline + 1);
        const waiter = this.pending.shift();
        if (status === 'ok') waiter?.resolve(Number(value));
        else waiter?.reject(new Error(value ?? 'skiff-shim: no answer'));
      }
    });
    const ended = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.buffered = '';
      for (const waiter of this.pending.splice(0)) waiter.reject(new Error(`skiff-shim ended (${why})`));
    };
    child.on('error', (err) => ended(err.message));
    child.on('close', (code, signal) => ended(signal ?? `exit code ${code}`));
    child.stdin!.on('error', () => {});
    // The helper must not keep the agent alive, nor be waited for at its exit: it ends with its stdin.
    child.unref();
    (child.stdout as unknown as Socket).unref?.();
    (child.stdin as unknown as Socket).unref?.();
    return child;
  }

  private request(fields: string[]): Promise<number> {
    this.child ??= this.start();
    const child = this.child;
    // While an answer is due, the helper's stdout keeps the agent's event loop going.
    const stdout = child.stdout as unknown as Socket;
    stdout.ref?.();
    const settled = () => {
      if (!this.pending.length) stdout.unref?.();
    };
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      child.stdin!.write(fields.map(field).join('\t') + '\n');
    }).finally(settled);
  }

  /** Resolves once the helper runs (and the events FIFO exists). */
  async ready(): Promise<void> {
    await this.request(['hello', '-']);
  }

  /** A pod shim in the sandbox's namespaces, listening on DIR/control; its PID. */
  createSandbox(request: SandboxRequest): Promise<number> {
    const net = request.network;
    return this.request([
      'sandbox',
      request.id,
      request.dir,
      request.hostname,
      String(isolationLevels[request.isolation]),
      net ? '1' : '0',
      ...(net ? [net.veth, net.ip, String(net.prefixLength), net.gateway, net.bridge, net.mac] : []),
    ]);
  }

  /** Kills the pod shim (the whole pod, when isolated) and deletes the pod's veth. */
  async tearDown(id: string, shimPid: number | undefined, veth: string | undefined): Promise<void> {
    await this.request(['teardown', id, String(shimPid ?? 0), veth ?? '-']);
  }

  /** The helper ends with its stdin; the pod shims live on. */
  stop(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }
}

/** What the pod shims report on the node's events FIFO. */
export interface ShimEvents {
  on(event: 'started', listener: (containerId: string, pid: number) => void): this;
  on(event: 'exited', listener: (containerId: string, code: number) => void): this;
}

/**
 * Reads the node's events FIFO (opened read-write: it never ends, and a
 * pod shim can write while no agent runs — what it wrote waits for the next).
 */
export class ShimEventReader extends EventEmitter implements ShimEvents {
  private readonly socket: Socket;
  private buffered = '';
  private awaited = 0;

  constructor(path: string) {
    super();
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let newline = this.buffered.indexOf('\n'); newline >= 0; newline = this.buffered.indexOf('\n')) {
        const [kind, id, value] = this.buffered.slice(0, newline).split('\t');
        this.buffered = this.buffered.slice(newline + 1);
        if (kind === 'started' || kind === 'exited') this.emit(kind, id, Number(value));
      }
    });
    this.socket.on('error', () => {});
    this.socket.unref();
  }

  /** An event is awaited (a container's start or end): the FIFO keeps the event loop going until release(). */
  hold(): void {
    if (this.awaited++ === 0) this.socket.ref();
  }

  release(): void {
    if (--this.awaited === 0) this.socket.unref();
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A pod shim's control FIFO, for the agent's requests. Opening it fails
 * (ENXIO) when no shim holds it: the pod's shim is gone. Lines are written
 * in order, off the event loop (a write wakes the shim, and on a busy
 * machine the writer may wait for a CPU inside the write).
 */
export class ShimControl {
  private fd: number | undefined;
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  send(fields: string[]): Promise<void> {
    const line = Buffer.from(fields.map(field).join('\t') + '\n');
    if (line.length > 4096) return Promise.reject(new Error('skiff-shim: a request over 4 KiB'));
    const written = this.last.then(
      () => this.writeLine(line),
      () => this.writeLine(line),
    );
    this.last = written.catch(() => {});
    return written;
  }

  private writeLine(line: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.fd ??= openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (err) {
        return reject(err);
      }
      // Lines under PIPE_BUF go into the FIFO whole, or not at all.
      write(this.fd, line, (err) => {
        if (!err) return resolve();
        this.close();
        reject(err);
      });
    });
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    // After the writes already queued.
    void this.last.then(() => {
      try {
        closeSync(fd);
      } catch {
        /* closed already */
      }
    });
  }
}
