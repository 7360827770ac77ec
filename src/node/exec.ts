/**
 * `kubectl exec` on the node: a command run beside a container (with its
 * environment), its stdin, stdout and stderr carried over a WebSocket in
 * the Kubernetes remote-command protocol (`v5.channel.k8s.io`, or
 * `v4.channel.k8s.io`): each binary message starts with its channel — 0
 * stdin, 1 stdout, 2 stderr, 3 the final status, 4 terminal resize, 255
 * "this stream is closed" (v5) — followed by the bytes.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import type { WebSocket } from 'ws';
import type { AttachedContainer } from './runtime/runtime.js';

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
function parseSize(payload: Buffer): { width: number; height: number } | undefined {
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
function resizeTerminal(scriptPid: number, size: { width: number; height: number }, attempt = 0): void {
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

function send(socket: WebSocket, channel: number, data: Buffer | string): void {
  if (socket.readyState !== socket.OPEN) return;
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  socket.send(Buffer.concat([Buffer.from([channel]), payload]));
}

/** Runs the command and speaks the protocol on the socket until it exits. */
export function runExec(
  socket: WebSocket,
  command: string[],
  env: Record<string, string>,
  wantStdin: boolean,
  inContainer: (command: string[]) => string[] = (c) => c,
  tty = false,
): void {
  if (!command.length) {
    send(socket, errorChannel, JSON.stringify(exitStatus(command, null, 'you must specify at least one command for the container')));
    socket.close(1000);
    return;
  }
  if (tty) {
    // The client sends the terminal's size right after connecting: wait for it (briefly) so the
    // command starts with the right size, not the pseudo-terminal's 0×0.
    let started = false;
    const start = (size?: { width: number; height: number }) => {
      if (started) return;
      started = true;
      size ??= { width: 80, height: 24 };
      socket.off('message', early);
      clearTimeout(timer);
      spawnExec(socket, command, env, wantStdin, inContainer, size);
    };
    const early = (message: Buffer) => {
      const data = Buffer.isBuffer(message) ? message : Buffer.from(message as ArrayBuffer);
      if (data[0] === resizeChannel) start(parseSize(data.subarray(1)));
    };
    const timer = setTimeout(() => start(), 1000);
    socket.on('message', early);
    socket.on('close', () => start());
    return;
  }
  spawnExec(socket, command, env, wantStdin, inContainer);
}

function spawnExec(
  socket: WebSocket,
  command: string[],
  env: Record<string, string>,
  wantStdin: boolean,
  inContainer: (command: string[]) => string[],
  terminal?: { width: number; height: number },
): void {
  const tty = terminal !== undefined || false;
  // A terminal (kubectl exec -t): util-linux `script` runs the command on a new pseudo-terminal
  // (inside the container, so the shell's job control sees its own processes), sized first.
  const line = terminal ? `stty rows ${terminal.height} cols ${terminal.width} 2>/dev/null; exec ${command.map(shellQuote).join(' ')}` : '';
  const argv = inContainer(tty ? ['script', '--quiet', '--return', '--command', line, '/dev/null'] : command);
  const child = spawn(argv[0], argv.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => send(socket, stdoutChannel, chunk));
  child.stderr.on('data', (chunk: Buffer) => send(socket, stderrChannel, chunk));
  if (!wantStdin) child.stdin.end();
  socket.on('message', (message: Buffer) => {
    const data = Buffer.isBuffer(message) ? message : Buffer.from(message as ArrayBuffer);
    if (!data.length) return;
    if (data[0] === stdinChannel) child.stdin.write(data.subarray(1));
    else if (data[0] === closeChannel && data[1] === stdinChannel) child.stdin.end();
    else if (data[0] === resizeChannel && tty && child.pid) {
      const size = parseSize(data.subarray(1));
      if (size) resizeTerminal(child.pid, size);
    }
  });
  socket.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let failure: string | undefined;
  child.on('error', (err) => (failure = `failed to run ${command[0]}: ${err.message}`));
  child.on('close', (code) => {
    send(socket, errorChannel, JSON.stringify(exitStatus(command, code, failure)));
    socket.close(1000);
  });
}

/** kubectl attach: the container's own stdio on the socket until it exits or the client leaves. */
export function runAttach(socket: WebSocket, attached: AttachedContainer, wantStdin: boolean): void {
  socket.on('message', (message: Buffer) => {
    const data = Buffer.isBuffer(message) ? message : Buffer.from(message as ArrayBuffer);
    if (!data.length) return;
    if (data[0] === resizeChannel && attached.terminalPid) {
      const size = parseSize(data.subarray(1));
      if (size) resizeTerminal(attached.terminalPid, size);
    }
    if (!wantStdin) return;
    if (data[0] === stdinChannel) attached.writeStdin?.(data.subarray(1));
    else if (data[0] === closeChannel && data[1] === stdinChannel) attached.closeStdin?.();
  });
  socket.on('close', () => attached.detach());
  // Attaching ends when the container does; how it ended is the pod's status to tell, not attach's
  // (kubectl run -i reads it from there), so the stream itself always ends with Success.
  void attached.exited.then(() => {
    send(socket, errorChannel, JSON.stringify(exitStatus(['attach'], 0)));
    socket.close(1000);
  });
}

/** The output callback that writes a container's streams on the socket's channels. */
export function attachOutput(socket: WebSocket): (stream: 'stdout' | 'stderr', data: Buffer) => void {
  return (stream, data) => send(socket, stream === 'stdout' ? stdoutChannel : stderrChannel, data);
}
