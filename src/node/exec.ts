/**
 * `kubectl exec` and `kubectl attach` on the node: a command run beside a
 * container (with its environment), or the container's own stdio, carried
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
import { execFile, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync, readlinkSync } from 'node:fs';
import type { WebSocket } from 'ws';
import type { AttachedContainer } from './runtime/runtime.js';

export interface TerminalSize {
  width: number;
  height: number;
}

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

/** One word for a shell command line, quoted when it needs to be. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

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

/**
 * Sets the size of the terminal `script` made: found as the standard input
 * of a process below ours, and set with stty, which also tells the program
 * (SIGWINCH). The first message may come before that process exists: tried
 * again briefly.
 */
function resizeTerminal(scriptPid: number, size: TerminalSize, attempt = 0): void {
  // The first process below ours whose stdin is a pseudo-terminal (ours may be nsenter, then script, then the command).
  let terminal: string | undefined;
  const queue = [scriptPid];
  for (let seen = 0; queue.length && seen < 16 && !terminal; seen++) {
    const pid = queue.shift()!;
    try {
      const stdin = readlinkSync(`/proc/${pid}/fd/0`);
      if (stdin.startsWith('/dev/pts/')) terminal = stdin;
      queue.push(...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      /* gone meanwhile */
    }
  }
  if (!terminal?.startsWith('/dev/pts/')) {
    if (attempt < 20) setTimeout(() => resizeTerminal(scriptPid, size, attempt + 1), 25);
    return;
  }
  execFile('stty', ['-F', terminal, 'rows', String(size.height), 'cols', String(size.width)], () => {});
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

/** Runs the command and speaks the protocol on the connection until it exits. */
export function runExec(
  connection: RemoteCommandConnection,
  command: string[],
  env: Record<string, string>,
  wantStdin: boolean,
  inContainer: (command: string[]) => string[] = (c) => c,
  tty = false,
): void {
  if (!command.length) {
    connection.finish(exitStatus(command, null, 'you must specify at least one command for the container'));
    return;
  }
  if (tty) {
    // The client sends the terminal's size right after connecting: wait for it (briefly) so the
    // command starts with the right size, not the pseudo-terminal's 0×0.
    // What the client types meanwhile is kept for the command.
    let started = false;
    const typed: Buffer[] = [];
    let typedEnd = false;
    const keep = (data: Buffer) => typed.push(data);
    const keepEnd = () => (typedEnd = true);
    connection.on('stdin', keep);
    connection.on('stdinEnd', keepEnd);
    const start = (size?: TerminalSize) => {
      if (started) return;
      started = true;
      connection.off('resize', start);
      connection.off('stdin', keep);
      connection.off('stdinEnd', keepEnd);
      clearTimeout(timer);
      spawnExec(connection, command, env, wantStdin, inContainer, size ?? { width: 80, height: 24 }, { typed, ended: typedEnd });
    };
    const timer = setTimeout(() => start(), 1000);
    connection.on('resize', start);
    connection.on('close', () => start());
    return;
  }
  spawnExec(connection, command, env, wantStdin, inContainer);
}

function spawnExec(
  connection: RemoteCommandConnection,
  command: string[],
  env: Record<string, string>,
  wantStdin: boolean,
  inContainer: (command: string[]) => string[],
  terminal?: TerminalSize,
  early: { typed: Buffer[]; ended: boolean } = { typed: [], ended: false },
): void {
  const tty = terminal !== undefined;
  // A terminal (kubectl exec -t): util-linux `script` runs the command on a new pseudo-terminal
  // (inside the container, so the shell's job control sees its own processes), sized first.
  const line = terminal ? `stty rows ${terminal.height} cols ${terminal.width} 2>/dev/null; exec ${command.map(shellQuote).join(' ')}` : '';
  const argv = inContainer(tty ? ['script', '--quiet', '--return', '--command', line, '/dev/null'] : command);
  const child = spawn(argv[0], argv.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  // A slow client slows the command (its pipes fill) rather than the agent's memory growing.
  for (const [name, pipe] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
    pipe.on('data', (chunk: Buffer) => {
      if (!connection.output(name, chunk) && !pipe.isPaused()) {
        pipe.pause();
        connection.once('drain', () => pipe.resume());
      }
    });
  }
  child.stdin.on('error', () => {});
  if (!wantStdin) child.stdin.end();
  else {
    for (const data of early.typed) child.stdin.write(data);
    if (early.ended) child.stdin.end();
    connection.on('stdin', (data: Buffer) => child.stdin.write(data));
    connection.on('stdinEnd', () => child.stdin.end());
  }
  connection.on('resize', (size: TerminalSize) => {
    if (tty && child.pid) resizeTerminal(child.pid, size);
  });
  connection.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let failure: string | undefined;
  child.on('error', (err) => (failure = `failed to run ${command[0]}: ${err.message}`));
  child.on('close', (code) => connection.finish(exitStatus(command, code, failure)));
}

/** kubectl attach: the container's own stdio on the connection until it exits or the client leaves. */
export function runAttach(connection: RemoteCommandConnection, attached: AttachedContainer, wantStdin: boolean): void {
  connection.on('resize', (size: TerminalSize) => {
    if (attached.terminalPid) resizeTerminal(attached.terminalPid, size);
  });
  if (wantStdin) {
    connection.on('stdin', (data: Buffer) => attached.writeStdin?.(data));
    connection.on('stdinEnd', () => attached.closeStdin?.());
  }
  connection.on('close', () => attached.detach());
  // Attaching ends when the container does; how it ended is the pod's status to tell, not attach's
  // (kubectl run -i reads it from there), so the stream itself always ends with Success.
  void attached.exited.then(() => connection.finish(exitStatus(['attach'], 0)));
}
