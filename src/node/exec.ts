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

/**
 * A resize message (`{"Width":80,"Height":24}`) sets the size of the
 * terminal `script` made: found as the standard input of its child, and set
 * with stty, which also tells the program (SIGWINCH). The first message may
 * come before the child exists: tried again briefly.
 */
function resizeTerminal(scriptPid: number, payload: Buffer, attempt = 0): void {
  let size: { Width?: number; Height?: number };
  try {
    size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
  } catch {
    return;
  }
  const width = Math.max(1, Math.min(1000, Math.floor(Number(size.Width) || 80)));
  const height = Math.max(1, Math.min(1000, Math.floor(Number(size.Height) || 24)));
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
    if (attempt < 20) setTimeout(() => resizeTerminal(scriptPid, payload, attempt + 1), 25);
    return;
  }
  execFile('stty', ['-F', terminal, 'rows', String(height), 'cols', String(width)], () => {});
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
  // A terminal (kubectl exec -t): util-linux `script` runs the command on a new pseudo-terminal
  // (inside the container, so the shell's job control sees its own processes).
  const argv = inContainer(tty ? ['script', '--quiet', '--return', '--command', command.map(shellQuote).join(' '), '/dev/null'] : command);
  const child = spawn(argv[0], argv.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => send(socket, stdoutChannel, chunk));
  child.stderr.on('data', (chunk: Buffer) => send(socket, stderrChannel, chunk));
  if (!wantStdin) child.stdin.end();
  socket.on('message', (message: Buffer) => {
    const data = Buffer.isBuffer(message) ? message : Buffer.from(message as ArrayBuffer);
    if (!data.length) return;
    if (data[0] === stdinChannel) child.stdin.write(data.subarray(1));
    else if (data[0] === closeChannel && data[1] === stdinChannel) child.stdin.end();
    else if (data[0] === resizeChannel && tty && child.pid) resizeTerminal(child.pid, data.subarray(1));
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
    if (!data.length || !wantStdin) return;
    if (data[0] === stdinChannel) attached.writeStdin?.(data.subarray(1));
    else if (data[0] === closeChannel && data[1] === stdinChannel) attached.closeStdin?.();
  });
  socket.on('close', () => attached.detach());
  void attached.exited.then((code) => {
    send(socket, errorChannel, JSON.stringify(exitStatus(['attach'], code === 0 ? 0 : code)));
    socket.close(1000);
  });
}

/** The output callback that writes a container's streams on the socket's channels. */
export function attachOutput(socket: WebSocket): (stream: 'stdout' | 'stderr', data: Buffer) => void {
  return (stream, data) => send(socket, stream === 'stdout' ? stdoutChannel : stderrChannel, data);
}
