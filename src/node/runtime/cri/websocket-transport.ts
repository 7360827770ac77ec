/**
 * The remote-command protocol over a WebSocket with the subprotocol
 * `v4.channel.k8s.io`, as containerd 1.6's streaming server speaks it
 * (k8s.io/apiserver's wsstream): each binary message starts with its
 * channel — 0 stdin (ours), 1 stdout, 2 stderr, 3 error (the final Status),
 * 4 resize (ours). The server sends an empty message on its first writable
 * channel once up, and closes the socket after the Status. v4 cannot close
 * stdin alone (v5's close channel is newer than this server): endStdin
 * sends nothing.
 */
import { WebSocket } from 'ws';
import type { TerminalSize } from '../runtime.js';
import type { ConnectTransport, StreamTransport } from './streaming.js';

export const webSocketProtocol = 'v4.channel.k8s.io';

const stdinChannel = 0;
const stdoutChannel = 1;
const stderrChannel = 2;
const errorChannel = 3;
const resizeChannel = 4;

/** containerd writes output in pieces of 32 KiB: a far larger message is refused rather than held. */
const maxMessageBytes = 4 * 1024 * 1024;

/** http://host/exec/token → ws://host/exec/token (https → wss). */
export function webSocketUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  else if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new Error(`the streaming server gave an unexpected URL: ${url}`);
  return parsed.toString();
}

function resizeMessage(size: TerminalSize): Buffer {
  return Buffer.concat([Buffer.from([resizeChannel]), Buffer.from(JSON.stringify({ Width: size.width, Height: size.height }))]);
}

export const connectWebSocket: ConnectTransport = (url, options, handlers) => {
  let closing = false;
  let ws: WebSocket;
  try {
    // The streaming server is the local runtime's, on loopback; its TLS certificate (when it has one) is self-signed.
    ws = new WebSocket(webSocketUrl(url), [webSocketProtocol], {
      handshakeTimeout: options.handshakeTimeoutMs,
      perMessageDeflate: false,
      maxPayload: maxMessageBytes,
      rejectUnauthorized: false,
    });
  } catch (err) {
    queueMicrotask(() => handlers.closed((err as Error).message));
    return { writeStdin: (_data, callback) => callback(), endStdin: () => {}, resize: () => {}, pause: () => {}, resume: () => {}, close: () => {} };
  }
  const open = new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
  });
  ws.on('open', () => {
    if (options.tty) ws.send(resizeMessage(options.tty));
  });
  ws.on('message', (message: Buffer, isBinary: boolean) => {
    const data = isBinary ? message : Buffer.from(message);
    const payload = data.subarray(1);
    if (!payload.length) return; // the server's "connected" note
    if (data[0] === stdoutChannel) handlers.output('stdout', payload);
    else if (data[0] === stderrChannel) handlers.output('stderr', payload);
    else if (data[0] === errorChannel) handlers.status(payload);
  });
  let failure: string | undefined;
  ws.on('error', (err) => {
    // After close() the end is ours, not a failure.
    if (!closing) failure ??= `streaming connection to the container runtime failed: ${err.message}`;
  });
  ws.on('close', () => handlers.closed(failure));

  const transport: StreamTransport = {
    writeStdin: (data, callback) => {
      void open.then((ok) => {
        if (!ok || ws.readyState !== WebSocket.OPEN) return callback();
        ws.send(Buffer.concat([Buffer.from([stdinChannel]), data]), (err) => callback(err ?? null));
      });
    },
    endStdin: () => {},
    resize: (size) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(resizeMessage(size));
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close: () => {
      closing = true;
      ws.terminate();
    },
  };
  return transport;
};
