/**
 * `kubectl exec` on the node: a command run beside a container (with its
 * environment), its stdin, stdout and stderr carried over a WebSocket in
 * the Kubernetes remote-command protocol (`v5.channel.k8s.io`, or
 * `v4.channel.k8s.io`): each binary message starts with its channel — 0
 * stdin, 1 stdout, 2 stderr, 3 the final status, 4 terminal resize, 255
 * "this stream is closed" (v5) — followed by the bytes.
 */
import { spawn } from 'node:child_process';
import type { WebSocket } from 'ws';
import type { AttachedContainer } from './runtime/runtime.js';

export const execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const stdinChannel = 0;
const stdoutChannel = 1;
const stderrChannel = 2;
const errorChannel = 3;
const closeChannel = 255;

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
export function runExec(socket: WebSocket, command: string[], env: Record<string, string>, wantStdin: boolean, inContainer: (command: string[]) => string[] = (c) => c): void {
  if (!command.length) {
    send(socket, errorChannel, JSON.stringify(exitStatus(command, null, 'you must specify at least one command for the container')));
    socket.close(1000);
    return;
  }
  const argv = inContainer(command);
  const child = spawn(argv[0], argv.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => send(socket, stdoutChannel, chunk));
  child.stderr.on('data', (chunk: Buffer) => send(socket, stderrChannel, chunk));
  if (!wantStdin) child.stdin.end();
  socket.on('message', (message: Buffer) => {
    const data = Buffer.isBuffer(message) ? message : Buffer.from(message as ArrayBuffer);
    if (!data.length) return;
    if (data[0] === stdinChannel) child.stdin.write(data.subarray(1));
    else if (data[0] === closeChannel && data[1] === stdinChannel) child.stdin.end();
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
