/**
 * The remote-command protocol (exec, attach, cp) over SPDY/3.1, as
 * client-go's SPDY executor speaks it (kubectl ≤ 1.29, and tools built on
 * client-go): after the upgrade the client opens one SPDY stream per
 * channel, named by its `streamType` header — `error`, then `stdin`,
 * `stdout`, `stderr` (not with a terminal), `resize` (with a terminal, from
 * v3) as the request's query asked — and the session starts once all have
 * come. The error stream carries the outcome and ends the session: in v4 a
 * Status (the exit code in `details.causes`), before v4 a plain message.
 * Terminal sizes arrive on the resize stream as JSON objects, one a line.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseSize, type RemoteCommandConnection } from './exec.js';
import { acceptSpdyUpgrade } from './portforward/spdy.js';

/** Newest first; the newest a client also speaks is chosen. */
export const spdyRemoteCommandProtocols = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

/** How long the client has to open its streams, as the kubelet's stream creation timeout. */
export const streamCreationTimeoutMs = 30_000;

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** The streams a client opens for these options (as the kubelet counts them: no stderr with a terminal). */
export function expectedStreams(options: RemoteCommandOptions, protocol: string): StreamType[] {
  const streams: StreamType[] = ['error'];
  if (options.stdin) streams.push('stdin');
  if (options.stdout) streams.push('stdout');
  if (options.stderr && !options.tty) streams.push('stderr');
  if (options.tty && (protocol === 'v3.channel.k8s.io' || protocol === 'v4.channel.k8s.io')) streams.push('resize');
  return streams;
}

/** What the error stream says at the end: the Status itself in v4, its message (nothing on success) before. */
export function errorStreamContent(status: Record<string, unknown>, protocol: string): Buffer {
  if (protocol === 'v4.channel.k8s.io') return Buffer.from(JSON.stringify(status));
  return Buffer.from(status.status === 'Success' ? '' : String(status.message ?? ''));
}

/**
 * Accepts a SPDY upgrade for exec or attach and calls `start` with the
 * session's connection once the client has opened every stream it should.
 */
export function acceptSpdyRemoteCommand(req: IncomingMessage, socket: Duplex, head: Buffer, options: RemoteCommandOptions, start: (connection: RemoteCommandConnection) => void): void {
  acceptSpdyUpgrade(req, socket, head, spdyRemoteCommandProtocols, 'channel.k8s.io', (session, protocol, end) => {
    const wanted = expectedStreams(options, protocol);
    const ids = new Map<StreamType, number>();
    let started = false;
    /** Events from streams already open before the session starts (a stdin opened with FIN, say): kept for it. */
    const early: [string, ...unknown[]][] = [];
    const emit = (event: string, ...args: unknown[]) => (started ? connection.emit(event, ...args) : early.push([event, ...args]));
    let finished = false;
    let resizeText = '';
    const connection: RemoteCommandConnection = Object.assign(new EventEmitter(), {
      output(stream: 'stdout' | 'stderr', data: Buffer) {
        const id = ids.get(stream);
        return id === undefined || finished || session.write(id, data);
      },
      finish(status: Record<string, unknown>) {
        if (finished) return;
        finished = true;
        // Output streams end first, then the outcome; the client reads them all to their end.
        for (const stream of ['stdout', 'stderr'] as const) {
          const id = ids.get(stream);
          if (id !== undefined) session.write(id, Buffer.alloc(0), true);
        }
        const errorId = ids.get('error');
        if (errorId !== undefined) session.write(errorId, errorStreamContent(status, protocol), true);
        end();
      },
    });
    const timer = setTimeout(() => {
      if (!started) end();
    }, streamCreationTimeoutMs);
    timer.unref();
    return {
      stream(id, headers) {
        const type = headers.streamtype as StreamType;
        if (!wanted.includes(type) || ids.has(type)) return;
        ids.set(type, id);
        if (!started && wanted.every((t) => ids.has(t))) {
          started = true;
          clearTimeout(timer);
          start(connection);
          for (const [event, ...args] of early.splice(0)) connection.emit(event, ...args);
        }
      },
      data(id, data, fin) {
        if (id === ids.get('stdin')) {
          if (data.length) emit('stdin', data);
          if (fin) emit('stdinEnd');
        } else if (id === ids.get('resize')) {
          resizeText += data.toString('utf8');
          const lines = resizeText.split('\n');
          resizeText = lines.pop() ?? '';
          for (const line of lines) {
            const size = line.trim() ? parseSize(Buffer.from(line)) : undefined;
            if (size) emit('resize', size);
          }
        }
      },
      reset(id) {
        if (id === ids.get('stdin')) emit('stdinEnd');
      },
      drain() {
        connection.emit('drain');
      },
      close() {
        clearTimeout(timer);
        finished = true;
        connection.emit('close');
      },
    };
  });
}
