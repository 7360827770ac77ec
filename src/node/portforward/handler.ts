/**
 * `kubectl port-forward` on the node: TCP connections to a port of a pod,
 * carried over the connection the apiserver passes through, in any of
 * the three ways clients speak:
 *
 *   SPDY/3.1, upgrade with X-Stream-Protocol-Version portforward.k8s.io
 *     (kubectl ≤ 1.30, client-go tools): SPDY on the raw connection,
 *     streams as below.
 *   SPDY/3.1+portforward.k8s.io (kubectl ≥ 1.31): SPDY inside the
 *     WebSocket. For each local connection the client opens two streams
 *     with headers `streamType: error|data`, `port`, `requestID`; we dial
 *     the pod's port and copy bytes between the data stream and the TCP
 *     connection; what goes wrong is written on the error stream.
 *   v4.channel.k8s.io / portforward.k8s.io (WebSocket clients such as
 *     client libraries): the ports come in the query (`ports=8080,9090`);
 *     port i has data channel 2i and error channel 2i+1, each opened by a
 *     message carrying the port number (2 bytes, little-endian).
 *
 * The pod's port is reached through the target's `dial`: the runtime's
 * own port-forward (the CRI's, inside the pod's network namespace) or a
 * TCP connection to the pod's IP.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { acceptSpdyUpgrade, SpdyServerSession, type SpdyHandlers } from './spdy.js';

/** The stream protocol of port-forward over SPDY, raw or tunnelled. */
export const spdyPortForwardProtocol = 'portforward.k8s.io';
export const spdyTunnelProtocol = `SPDY/3.1+${spdyPortForwardProtocol}`;
export const portForwardProtocols = [spdyTunnelProtocol, 'v4.channel.k8s.io', 'portforward.k8s.io'];

export interface PortForwardTarget {
  /** A connection to a port of the pod; it emits 'error' when the port cannot be reached. */
  dial(port: number): Duplex;
  /** For error messages, as the kubelet words them. */
  podName: string;
  podUid: string;
}

function forwardError(target: PortForwardTarget, port: number, err: Error): string {
  return `error forwarding port ${port} to pod ${target.podName}, uid ${target.podUid}: ${err.message}`;
}

/** Serves one port-forward WebSocket until either side closes it. */
export function servePortForward(ws: WebSocket, target: PortForwardTarget, ports: number[]): void {
  if (ws.protocol === spdyTunnelProtocol) serveSpdy(ws, target);
  else serveChannels(ws, target, ports);
}

/** Port-forward over raw SPDY/3.1 (kubectl ≤ 1.30, client-go tools): the upgrade answered here, then the same streams. */
export function acceptSpdyPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget): void {
  acceptSpdyUpgrade(req, socket, head, [spdyPortForwardProtocol], spdyPortForwardProtocol, (session) => portForwardStreams(session, target));
}

/** SPDY tunnelled in a WebSocket: the same session, its bytes carried in binary messages. */
function serveSpdy(ws: WebSocket, target: PortForwardTarget): void {
  let handlers: SpdyHandlers | undefined;
  const session = new SpdyServerSession(
    (bytes) => {
      if (ws.readyState === ws.OPEN) ws.send(bytes, { binary: true });
    },
    {
      stream: (id, headers) => handlers?.stream(id, headers),
      data: (id, data, fin) => handlers?.data(id, data, fin),
      reset: (id) => handlers?.reset(id),
      close: () => {
        handlers?.close();
        if (ws.readyState === ws.OPEN) ws.close(1000);
      },
    },
  );
  handlers = portForwardStreams(session, target);
  ws.on('message', (message: Buffer) => session.receive(Buffer.isBuffer(message) ? message : Buffer.from(message as ArrayBuffer)));
  ws.on('close', () => session.close());
}

/**
 * One SPDY session's port-forward streams: for each local connection the
 * client opens an error stream and a data stream with the same `requestID`
 * and `port`; the data stream is joined to a TCP connection to the pod.
 */
function portForwardStreams(session: SpdyServerSession, target: PortForwardTarget): SpdyHandlers {
  interface Pair {
    port: number;
    errorStream?: number;
    dataStream?: number;
    socket?: Duplex;
  }
  const pairs = new Map<string, Pair>();
  const byStream = new Map<number, Pair>();
  return {
    stream(id, headers) {
      const requestID = headers.requestid ?? String(id);
      const port = Number(headers.port);
      const pair = pairs.get(requestID) ?? { port };
      pairs.set(requestID, pair);
      byStream.set(id, pair);
      if (headers.streamtype === 'error') {
        pair.errorStream = id;
        return;
      }
      pair.dataStream = id;
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        if (pair.errorStream) session.write(pair.errorStream, Buffer.from(`invalid port ${headers.port}`), true);
        session.write(id, Buffer.alloc(0), true);
        return;
      }
      const socket = target.dial(port);
      pair.socket = socket;
      // A slow client pauses the pod's connection until the transport has room again.
      socket.on('data', (chunk: Buffer) => {
        if (!session.write(id, chunk)) socket.pause();
      });
      socket.on('end', () => session.write(id, Buffer.alloc(0), true));
      socket.on('error', (err) => {
        if (pair.errorStream) session.write(pair.errorStream, Buffer.from(forwardError(target, port, err)), true);
        session.write(id, Buffer.alloc(0), true);
      });
    },
    data(id, data, fin) {
      const pair = byStream.get(id);
      if (!pair || id !== pair.dataStream || !pair.socket) return;
      if (data.length) pair.socket.write(data);
      if (fin) pair.socket.end();
    },
    reset(id) {
      byStream.get(id)?.socket?.destroy();
    },
    close() {
      for (const pair of pairs.values()) pair.socket?.destroy();
    },
    drain() {
      for (const pair of pairs.values()) pair.socket?.resume();
    },
  };
}

function serveChannels(ws: WebSocket, target: PortForwardTarget, ports: number[]): void {
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const portBytes = (port: number) => {
    const buffer = Buffer.alloc(2);
    buffer.writeUInt16LE(port);
    return buffer;
  };
  const sockets = ports.map((port, index) => {
    send(index * 2, portBytes(port));
    send(index * 2 + 1, portBytes(port));
    const socket = target.dial(port);
    socket.on('data', (chunk: Buffer) => send(index * 2, chunk));
    socket.on('error', (err) => {
      send(index * 2 + 1, Buffer.from(forwardError(target, port, err)));
      ws.close(1000);
    });
    socket.on('end', () => ws.close(1000));
    return socket;
  });
  ws.on('message', (message: Buffer) => {
    const data = Buffer.isBuffer(message) ? message : Buffer.from(message as ArrayBuffer);
    const channel = data[0];
    if (channel % 2 === 0) sockets[channel / 2]?.write(data.subarray(1));
  });
  ws.on('close', () => sockets.forEach((socket) => socket.destroy()));
}
