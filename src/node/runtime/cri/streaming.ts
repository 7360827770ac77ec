/**
 * Exec and attach sessions on a CRI runtime's streaming server: the Exec
 * or Attach RPC answers a URL (containerd's server, on 127.0.0.1), and a
 * session on it carries the remote-command protocol v4 — stdin, stdout,
 * stderr, terminal sizes, and at the end a Status on the error channel:
 * Success is exit code 0, NonZeroExitCode carries the code in
 * details.causes[{reason: "ExitCode"}], any other Failure says why the
 * command never ran.
 *
 * Two transports, both spoken by containerd 1.6's server (k8s.io/kubelet's
 * streaming package): a WebSocket (websocket-transport.ts), and SPDY/3.1
 * (spdy-transport.ts), the only one that can end stdin alone. `auto` takes
 * SPDY for sessions that feed stdin, the WebSocket otherwise.
 */
import { PassThrough, Writable } from 'node:stream';
import type { ExecProcess, TerminalSize } from '../runtime.js';
import { connectSpdy } from './spdy-transport.js';
import { connectWebSocket } from './websocket-transport.js';

export type StreamingTransportKind = 'auto' | 'websocket' | 'spdy';

export interface TransportOptions {
  stdin: boolean;
  /** A terminal of this size: output all on stdout, and sizes on the resize channel. */
  tty?: TerminalSize;
  handshakeTimeoutMs: number;
}

/** What a transport reports. */
export interface TransportHandlers {
  output(stream: 'stdout' | 'stderr', data: Buffer): void;
  /** Bytes of the error channel (the final Status). */
  status(data: Buffer): void;
  /** The session is over; `error` when it failed rather than ended. Called once. */
  closed(error?: string): void;
}

/** What a session asks of a transport; writes before the connection is up wait for it. */
export interface StreamTransport {
  writeStdin(data: Buffer, callback: (err?: Error | null) => void): void;
  endStdin(): void;
  resize(size: TerminalSize): void;
  /** Stop reading (the reader is slow), and again. */
  pause(): void;
  resume(): void;
  /** Ends the session now. */
  close(): void;
}

export type ConnectTransport = (url: string, options: TransportOptions, handlers: TransportHandlers) => StreamTransport;

/** The Status is a few hundred bytes; more is not kept. */
const maxStatusBytes = 64 * 1024;

export interface RemoteCommandOptions {
  stdin: boolean;
  tty?: TerminalSize;
  transport?: StreamingTransportKind;
  handshakeTimeoutMs?: number;
}

export interface RemoteCommandResult {
  exitCode: number | null;
  error?: string;
}

/** What the error channel's Status says: an exit code, or why the command did not run. */
export function resultOfStatus(text: string | undefined): RemoteCommandResult {
  if (text === undefined || text === '') return { exitCode: null, error: 'the streaming session ended without a status' };
  let status: { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
  try {
    status = JSON.parse(text) as typeof status;
  } catch {
    return { exitCode: null, error: `unreadable status from the streaming server: ${text.slice(0, 200)}` };
  }
  if (status.status === 'Success') return { exitCode: 0 };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause ? Number(cause.message) : NaN;
  if (status.reason === 'NonZeroExitCode' && Number.isInteger(code)) return { exitCode: code };
  return { exitCode: null, error: status.message || status.reason || 'the command failed' };
}

export function transportFor(kind: StreamingTransportKind, stdin: boolean): ConnectTransport {
  if (kind === 'spdy' || (kind === 'auto' && stdin)) return connectSpdy;
  return connectWebSocket;
}

/**
 * A session, usable at once: what is written before the URL is known or
 * the connection is up waits in the Writable's bounded buffer. `done` says
 * how the command ended once its output has been read to its end.
 */
export function openRemoteCommand(url: Promise<string>, options: RemoteCommandOptions): ExecProcess {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let transport: StreamTransport | undefined;
  let status = '';
  let ended = false;
  let killed = false;
  let resolveDone!: (result: RemoteCommandResult) => void;
  const done = new Promise<RemoteCommandResult>((resolve) => (resolveDone = resolve));
  let connected!: (transport: StreamTransport | undefined) => void;
  const connection = new Promise<StreamTransport | undefined>((resolve) => (connected = resolve));

  const finish = (result: RemoteCommandResult) => {
    if (ended) return;
    ended = true;
    connected(undefined);
    stdout.end();
    stderr.end();
    stdin?.destroy();
    // Output first, then the result: the caller sends the Status after the last byte it reads.
    // A stream nobody reads does not hold the result back (what it holds stays readable).
    let pending = 2;
    const settle = () => --pending === 0 && resolveDone(result);
    for (const stream of [stdout, stderr]) {
      if (stream.readableEnded || stream.destroyed || stream.readableFlowing === null) settle();
      else stream.once('end', settle).once('close', settle);
    }
  };

  const stdin = options.stdin
    ? new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          void connection.then((t) => (t ? t.writeStdin(chunk, callback) : callback()));
        },
        final(callback) {
          void connection.then((t) => t?.endStdin());
          callback();
        },
      })
    : undefined;
  stdin?.on('error', () => {});

  const deliver = (stream: PassThrough, data: Buffer) => {
    // A slow reader pauses the connection (TCP then slows the server) instead of the agent buffering without bound.
    if (!stream.write(data) && transport) {
      transport.pause();
      stream.once('drain', () => transport?.resume());
    }
  };

  url.then(
    (address) => {
      if (killed || ended) return finish({ exitCode: null, error: 'ended before it started' });
      const connect = transportFor(options.transport ?? 'auto', options.stdin);
      transport = connect(
        address,
        { stdin: options.stdin, ...(options.tty ? { tty: options.tty } : {}), handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000 },
        {
          output: (stream, data) => deliver(stream === 'stdout' ? stdout : stderr, data),
          status: (data) => {
            if (status.length < maxStatusBytes) status += data.toString('utf8').slice(0, maxStatusBytes - status.length);
          },
          closed: (error) => {
            if (killed && !status) finish({ exitCode: 137 });
            else if (error && !status) finish({ exitCode: null, error });
            else finish(resultOfStatus(status));
          },
        },
      );
      connected(transport);
    },
    (err: Error) => finish({ exitCode: null, error: err.message }),
  );

  return {
    ...(stdin ? { stdin } : {}),
    stdout,
    stderr,
    resize: (size) => transport?.resize(size),
    kill: () => {
      killed = true;
      transport?.close();
    },
    done,
  };
}
