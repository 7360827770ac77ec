/**
 * One connection to a port of a pod through a CRI runtime's streaming
 * server, as the kubelet forwards `kubectl port-forward`: the PortForward
 * RPC answers a URL (single use), and a WebSocket to it with
 * `?ports=<port>` and the subprotocol `v4.channel.k8s.io` carries the
 * bytes. The runtime dials the port *inside* the pod's network namespace
 * (containerd: localhost there), so a server bound to the pod's 127.0.0.1
 * is reached too, which dialling the pod's IP from the node cannot do.
 *
 * The protocol (k8s.io/kubelet's streaming portforward, WebSocket side):
 * channel 0 carries data both ways, channel 1 the runtime's error text;
 * the server's first message on each channel is the port number (2 bytes,
 * little-endian), not data. A WebSocket cannot end one direction alone, so
 * ending our write side sends nothing: the connection ends when the pod's
 * side ends or either side closes.
 *
 * One WebSocket per connection: the WebSocket protocol carries one stream
 * per port, and a client (kubectl) opens a connection per local accept.
 */
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { webSocketProtocol, webSocketUrl } from './websocket-transport.js';

const dataChannel = 0;
const errorChannel = 1;

/** containerd copies in pieces of 32 KiB: a far larger message is refused rather than held. */
const maxMessageBytes = 4 * 1024 * 1024;
/** The error text is one line; more is not kept. */
const maxErrorBytes = 64 * 1024;

export interface PortForwardOptions {
  handshakeTimeoutMs?: number;
}

/**
 * A Duplex joined to `port` of the pod whose PortForward URL `url` gives:
 * what is written reaches the pod's port, what the pod sends is read. It
 * emits 'error' with the runtime's own words (e.g. "connection refused")
 * when the runtime could not connect, and ends when the pod's side ends.
 */
export function openPortForward(url: Promise<string>, port: number, options: PortForwardOptions = {}): Duplex {
  let ws: WebSocket | undefined;
  let opened: Promise<WebSocket | undefined> | undefined;
  // The first message of each channel is the port's number, not data.
  const prefaceSeen = [false, false];
  const errorText: Buffer[] = [];
  let errorBytes = 0;
  let failure: Error | undefined;

  const stream = new Duplex({
    // Writes before the connection is up wait for it.
    write(chunk: Buffer, _encoding, callback) {
      void connected().then((socket) => {
        if (!socket || socket.readyState !== WebSocket.OPEN) return callback(failure ?? new Error('the port-forward connection is closed'));
        socket.send(Buffer.concat([Buffer.from([dataChannel]), chunk]), (err) => callback(err ?? null));
      });
    },
    // No half-close over a WebSocket (see above).
    final(callback) {
      callback();
    },
    read() {
      ws?.resume();
    },
    destroy(err, callback) {
      if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
      callback(err);
    },
  });

  const connected = (): Promise<WebSocket | undefined> =>
    (opened ??= url.then(
      (address) =>
        new Promise<WebSocket | undefined>((resolve) => {
          const target = new URL(webSocketUrl(address));
          target.searchParams.set('ports', String(port));
          // The streaming server is the local runtime's, on loopback; its TLS certificate (when it has one) is self-signed.
          const socket = new WebSocket(target.toString(), [webSocketProtocol], {
            handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
            perMessageDeflate: false,
            maxPayload: maxMessageBytes,
            rejectUnauthorized: false,
          });
          ws = socket;
          socket.once('open', () => resolve(socket));
          socket.on('message', (message: Buffer, isBinary: boolean) => onMessage(isBinary ? message : Buffer.from(message)));
          socket.on('error', (err) => {
            failure ??= new Error(`port-forward connection to the container runtime failed: ${err.message}`);
          });
          socket.on('close', () => {
            resolve(undefined);
            onClose();
          });
        }),
      (err: Error) => {
        failure = err;
        onClose();
        return undefined;
      },
    ));

  function onMessage(data: Buffer): void {
    const channel = data[0];
    if (channel !== dataChannel && channel !== errorChannel) return;
    if (!prefaceSeen[channel]) {
      prefaceSeen[channel] = true;
      return;
    }
    const payload = data.subarray(1);
    if (channel === errorChannel) {
      if (errorBytes < maxErrorBytes) errorText.push(payload.subarray(0, maxErrorBytes - errorBytes));
      errorBytes += payload.length;
      return;
    }
    // A slow reader pauses the WebSocket until it reads again.
    if (payload.length && !stream.push(payload)) ws?.pause();
  }

  function onClose(): void {
    const said = Buffer.concat(errorText).toString().trim();
    if (said) stream.destroy(new Error(said));
    else if (failure) stream.destroy(failure);
    else stream.push(null);
  }

  // Connect at once: a client that only reads (a server that speaks first) must reach the pod too.
  void connected();
  return stream;
}
