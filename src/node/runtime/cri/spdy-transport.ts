/**
 * The remote-command protocol over SPDY/3.1, as client-go's SPDY executor
 * speaks it to a streaming server (the kubelet's proxy does the same to
 * containerd's): an HTTP upgrade to `SPDY/3.1` with
 * `X-Stream-Protocol-Version: v4.channel.k8s.io`, then one stream per
 * channel, named by its `streamType` header — error, stdin, stdout,
 * stderr (not with a terminal), resize (with one). Unlike v4 over a
 * WebSocket, stdin can end alone (a DATA frame with FIN), which `kubectl
 * cp` into a pod and piped `exec -i` need. The framing and header
 * dictionary are portforward/spdy.ts's; this is the client's half.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { createDeflate, createInflate, constants as zlibConstants, type Inflate } from 'node:zlib';
import { encodeSynStream, frameTypes, headerDictionary } from '../../portforward/spdy.js';
import type { TerminalSize } from '../runtime.js';
import type { ConnectTransport, StreamTransport } from './streaming.js';

export const spdyProtocol = 'v4.channel.k8s.io';

const flagFin = 0x01;
/** Output comes in pieces of 32 KiB; a frame far larger is a broken or hostile peer. */
const maxFrameBytes = 4 * 1024 * 1024;
/** What is kept of a refusal's body (an HTTP error instead of the upgrade). */
const maxRefusalBytes = 4096;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** A DATA frame (in pieces of at most 32 KiB); FIN on the last half-closes our side. */
export function dataFrames(id: number, data: Buffer, fin: boolean): Buffer {
  const frames: Buffer[] = [];
  let offset = 0;
  do {
    const chunk = data.subarray(offset, offset + 32 * 1024);
    offset += chunk.length;
    const header = Buffer.alloc(8);
    header.writeUInt32BE(id & 0x7fffffff, 0);
    header.writeUInt32BE(chunk.length, 4);
    header[4] = offset >= data.length && fin ? flagFin : 0;
    frames.push(header, chunk);
  } while (offset < data.length);
  return Buffer.concat(frames);
}

function controlFrame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8003, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** The server's header blocks, inflated in order in one context (we only keep the context in step). */
class HeaderInflater {
  private readonly inflate: Inflate = createInflate({ dictionary: headerDictionary });

  constructor() {
    this.inflate.on('data', () => {});
    this.inflate.on('error', () => {});
  }

  process(block: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.inflate.write(block, (err) => (err ? reject(err) : this.inflate.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve()))));
  }

  close(): void {
    this.inflate.destroy();
  }
}

export const connectSpdy: ConnectTransport = (url, options, handlers) => {
  const streams: StreamType[] = ['error', ...(options.stdin ? (['stdin'] as const) : []), 'stdout', ...(options.tty ? (['resize'] as const) : (['stderr'] as const))];
  const ids = new Map<StreamType, number>(streams.map((type, i) => [type, 1 + 2 * i]));
  const types = new Map([...ids].map(([type, id]) => [id, type]));
  const inflater = new HeaderInflater();
  let socket: Socket | undefined;
  let ended = false;
  let closing = false;
  let failure: string | undefined;
  let ready!: (ok: boolean) => void;
  const opened = new Promise<boolean>((resolve) => (ready = resolve));

  const end = (error?: string) => {
    if (ended) return;
    ended = true;
    ready(false);
    inflater.close();
    handlers.closed(error ?? failure);
  };

  let target: URL;
  try {
    target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`the streaming server gave an unexpected URL: ${url}`);
  } catch (err) {
    queueMicrotask(() => end((err as Error).message));
    return { writeStdin: (_d, callback) => callback(), endStdin: () => {}, resize: () => {}, pause: () => {}, resume: () => {}, close: () => {} };
  }
  const headers = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': spdyProtocol, 'Content-Length': '0' };
  // The streaming server is the local runtime's, on loopback; its TLS certificate (when it has one) is self-signed.
  const request: ClientRequest =
    target.protocol === 'https:'
      ? httpsRequest(target, { method: 'POST', headers, timeout: options.handshakeTimeoutMs, rejectUnauthorized: false })
      : httpRequest(target, { method: 'POST', headers, timeout: options.handshakeTimeoutMs });
  request.on('timeout', () => request.destroy(new Error(`no answer within ${options.handshakeTimeoutMs} ms`)));
  request.on('error', (err) => end(closing ? undefined : `streaming connection to the container runtime failed: ${err.message}`));
  request.on('response', (response: IncomingMessage) => {
    // No upgrade: the server says why in the body.
    let body = '';
    response.on('data', (chunk: Buffer) => (body += body.length < maxRefusalBytes ? chunk.toString('utf8').slice(0, maxRefusalBytes - body.length) : ''));
    response.on('end', () => end(`the streaming server refused the session: ${response.statusCode} ${body.trim()}`));
    response.on('error', () => end(`the streaming server refused the session: ${response.statusCode}`));
  });
  request.on('upgrade', (response: IncomingMessage, upgraded: Socket, head: Buffer) => {
    socket = upgraded;
    // The handshake's timeout is not the session's: a command may be quiet for long.
    upgraded.setTimeout(0);
    if (String(response.headers['x-stream-protocol-version'] ?? '') !== spdyProtocol) {
      upgraded.destroy();
      return end(`the streaming server does not speak ${spdyProtocol} over SPDY`);
    }
    if (closing) {
      upgraded.destroy();
      return end();
    }
    upgraded.on('error', (err) => (failure ??= closing ? undefined : `streaming connection to the container runtime failed: ${err.message}`));
    let pending = head;
    let work = Promise.resolve();
    // Frames still being handled (header blocks inflate asynchronously) come before the end.
    upgraded.on('close', () => void work.finally(() => end()));
    const receive = (bytes: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, bytes]) : bytes;
      while (pending.length >= 8) {
        const length = pending.readUIntBE(5, 3);
        if (length > maxFrameBytes) {
          failure ??= `the streaming server sent a frame of ${length} bytes`;
          upgraded.destroy();
          return;
        }
        if (pending.length < 8 + length) break;
        const frame = pending.subarray(0, 8 + length);
        pending = pending.subarray(8 + length);
        work = work.then(() => handle(frame)).catch((err: Error) => {
          failure ??= `unreadable SPDY from the streaming server: ${err.message}`;
          upgraded.destroy();
        });
      }
    };
    const handle = async (frame: Buffer): Promise<void> => {
      const payload = frame.subarray(8);
      if (!(frame[0] & 0x80)) {
        const type = types.get(frame.readUInt32BE(0) & 0x7fffffff);
        if (type === 'stdout' || type === 'stderr') handlers.output(type, payload);
        else if (type === 'error' && payload.length) handlers.status(payload);
        return;
      }
      switch (frame.readUInt16BE(2)) {
        case frameTypes.synReply:
        case frameTypes.headers:
          await inflater.process(payload.subarray(4));
          break;
        case frameTypes.synStream:
          // The server opens none in this protocol; its headers still go through the shared context.
          await inflater.process(payload.subarray(10));
          break;
        case frameTypes.ping:
          if (upgraded.writable) upgraded.write(controlFrame(frameTypes.ping, payload));
          break;
        case frameTypes.goAway:
          upgraded.end();
          break;
        default:
          // SETTINGS, WINDOW_UPDATE, RST_STREAM: the session's end tells the rest.
          break;
      }
    };
    upgraded.on('data', receive);
    if (head.length) receive(Buffer.alloc(0));
    // Our streams, in client-go's order; the server starts once all are there.
    void (async () => {
      const deflate = createDeflate({ dictionary: headerDictionary });
      try {
        for (const type of streams) upgraded.write(await encodeSynStream(deflate, ids.get(type)!, { streamtype: type }));
      } finally {
        deflate.destroy();
      }
      if (options.tty) upgraded.write(dataFrames(ids.get('resize')!, resizeLine(options.tty), false));
      ready(true);
    })().catch((err: Error) => {
      failure ??= `cannot open the session's streams: ${err.message}`;
      upgraded.destroy();
    });
  });
  request.end();

  const send = (bytes: Buffer, callback?: (err?: Error | null) => void) => {
    void opened.then((ok) => {
      if (!ok || !socket || !socket.writable) return callback?.();
      socket.write(bytes, (err) => callback?.(err ?? null));
    });
  };
  const transport: StreamTransport = {
    writeStdin: (data, callback) => (ids.has('stdin') ? send(dataFrames(ids.get('stdin')!, data, false), callback) : callback()),
    endStdin: () => {
      if (ids.has('stdin')) send(dataFrames(ids.get('stdin')!, Buffer.alloc(0), true));
    },
    resize: (size) => {
      if (ids.has('resize')) send(dataFrames(ids.get('resize')!, resizeLine(size), false));
    },
    pause: () => socket?.pause(),
    resume: () => socket?.resume(),
    close: () => {
      closing = true;
      if (socket) socket.destroy();
      else request.destroy();
    },
  };
  return transport;
};

/** A terminal size on the resize stream: a JSON object a line, as client-go's encoder writes it. */
function resizeLine(size: TerminalSize): Buffer {
  return Buffer.from(`${JSON.stringify({ Width: size.width, Height: size.height })}\n`);
}
