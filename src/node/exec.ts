/**
 * `kubectl exec` and `kubectl attach` on the node: a command run inside a
 * container (by its runtime: Runtime.exec), or the container's own stdio, carried
 * to the client in the Kubernetes remote-command protocol. The session code
 * here speaks to a `RemoteCommandConnection` and does not care how it is
 * carried:
 *
 *   WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`; kubectl ≥ 1.30):
 *     each binary message starts with its channel — 0 stdin, 1 stdout,
 *     2 stderr, 3 the final status, 4 terminal resize, 255 "this stream is
 *     closed" (v5) — followed by the bytes (`webSocketConnection` below);
 *   SPDY/3.1 (`v4.channel.k8s.io` … `channel.k8s.io`; older kubectl and
 *     client-go tools): one SPDY stream per channel (`spdy-remotecommand.ts`).
 */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { AttachedContainer, ExecOptions, ExecProcess, TerminalSize } from './runtime/runtime.js';

export type { TerminalSize } from './runtime/runtime.js';

/**
 * One exec or attach session's streams, whatever carries them. Events:
 * `stdin` (data), `stdinEnd`, `resize` (TerminalSize), `close` (the client
 * left), `drain` (room again after `output` answered false).
 */
export interface RemoteCommandConnection extends EventEmitter {
  /** False when the transport's buffer is full: the producer waits for `drain`. */
  output(stream: 'stdout' | 'stderr', data: Buffer): boolean;
  /** Ends the session with its final Status (the error stream), then closes the connection. */
  finish(status: Record<string, unknown>): void;
}

export const execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const stdinChannel = 0;
const stdoutChannel = 1;
const stderrChannel = 2;
const errorChannel = 3;
const resizeChannel = 4;
const closeChannel = 255;

/** A resize message: `{"Width":80,"Height":24}`, bounded to sane numbers. */
export function parseSize(payload: Buffer): TerminalSize | undefined {
  try {
    const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
    const clamp = (n: unknown, fallback: number) => Math.max(1, Math.min(1000, Math.floor(Number(n) || fallback)));
    return { width: clamp(size.Width, 80), height: clamp(size.Height, 24) };
  } catch {
    return undefined;
  }
}

/** The Status the error channel ends with: Success, or the exit code as upstream words it. */
export function exitStatus(command: string[], code: number | null, error?: string): Record<string, unknown> {
  if (error !== undefined) return { metadata: {}, status: 'Failure', message: error, reason: 'InternalError', code: 500 };
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** The remote-command channels of a WebSocket as a connection. */
export function webSocketConnection(socket: WebSocket): RemoteCommandConnection {
  const send = (channel: number, data: Buffer | string) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(Buffer.concat([Buffer.from([channel]), typeof data === 'string' ? Buffer.from(data) : data]));
  };
  const connection = Object.assign(new EventEmitter(), {
    // The WebSocket library buffers without bound and says nothing when it empties: never "full".
    output: (stream: 'stdout' | 'stderr', data: Buffer) => {
      send(stream === 'stdout' ? stdoutChannel : stderrChannel, data);
      return true;
    },
    finish: (status: Record<string, unknown>) => {
      send(errorChannel, JSON.stringify(status));
      socket.close(1000);
    },
  });
  socket.on('message', (message: Buffer) => {
    const data = Buffer.isBuffer(message) ? message : Buffer.from(message as ArrayBuffer);
    if (!data.length) return;
    if (data[0] === stdinChannel) connection.emit('stdin', data.subarray(1));
    else if (data[0] === closeChannel && data[1] === stdinChannel) connection.emit('stdinEnd');
    else if (data[0] === resizeChannel) {
      const size = parseSize(data.subarray(1));
      if (size) connection.emit('resize', size);
    }
  });
  socket.on('close', () => connection.emit('close'));
  return connection;
}

/** Starts a command in the container (Runtime.exec), or undefined when the container is gone. */
export type StartExec = (command: string[], options: ExecOptions) => ExecProcess | undefined;

/** Runs the command and speaks the protocol on the connection until it exits. */
export function runExec(connection: RemoteCommandConnection, command: string[], start: StartExec, wantStdin: boolean, tty = false): void {
  if (!command.length) {
    connection.finish(exitStatus(command, null, 'you must specify at least one command for the container'));
    return;
  }
  if (tty) {
    // The client sends the terminal's size right after connecting: wait for it (briefly) so the
    // command starts with the right size, not a guess. What the client types meanwhile is kept.
    let started = false;
    const typed: Buffer[] = [];
    let typedEnd = false;
    const keep = (data: Buffer) => typed.push(data);
    const keepEnd = () => (typedEnd = true);
    connection.on('stdin', keep);
    connection.on('stdinEnd', keepEnd);
    const begin = (size?: TerminalSize) => {
      if (started) return;
      started = true;
      connection.off('resize', begin);
      connection.off('stdin', keep);
      connection.off('stdinEnd', keepEnd);
      clearTimeout(timer);
      relay(connection, command, start, wantStdin, size ?? { width: 80, height: 24 }, { typed, ended: typedEnd });
    };
    const timer = setTimeout(() => begin(), 1000);
    connection.on('resize', begin);
    connection.on('close', () => begin());
    return;
  }
  relay(connection, command, start, wantStdin);
}

function relay(
  connection: RemoteCommandConnection,
  command: string[],
  start: StartExec,
  wantStdin: boolean,
  terminal?: TerminalSize,
  early: { typed: Buffer[]; ended: boolean } = { typed: [], ended: false },
): void {
  const exec = start(command, { stdin: wantStdin, ...(terminal ? { tty: terminal } : {}) });
  if (!exec) {
    connection.finish(exitStatus(command, null, 'the container is not running'));
    return;
  }
  // A slow client slows the command (its pipes fill) rather than the agent's memory growing.
  for (const [name, pipe] of [['stdout', exec.stdout], ['stderr', exec.stderr]] as const) {
    pipe.on('data', (chunk: Buffer) => {
      if (!connection.output(name, chunk) && !pipe.isPaused()) {
        pipe.pause();
        connection.once('drain', () => pipe.resume());
      }
    });
  }
  const stdin = exec.stdin;
  if (stdin) {
    for (const data of early.typed) stdin.write(data);
    if (early.ended) stdin.end();
    connection.on('stdin', (data: Buffer) => stdin.write(data));
    connection.on('stdinEnd', () => stdin.end());
  }
  connection.on('resize', (size: TerminalSize) => exec.resize(size));
  connection.on('close', () => exec.kill());
  void exec.done.then(({ exitCode, error }) =>
    connection.finish(exitStatus(command, exitCode, error === undefined ? undefined : `failed to exec in container: ${error}`)),
  );
}

/** kubectl attach: the container's own stdio on the connection until it exits or the client leaves. */
export function runAttach(connection: RemoteCommandConnection, attached: AttachedContainer, wantStdin: boolean): void {
  connection.on('resize', (size: TerminalSize) => attached.resize?.(size));
  if (wantStdin) {
    connection.on('stdin', (data: Buffer) => attached.writeStdin?.(data));
    connection.on('stdinEnd', () => attached.closeStdin?.());
  }
  connection.on('close', () => attached.detach());
  // Attaching ends when the container does; how it ended is the pod's status to tell, not attach's
  // (kubectl run -i reads it from there), so the stream itself always ends with Success.
  void attached.exited.then(() => connection.finish(exitStatus(['attach'], 0)));
}
