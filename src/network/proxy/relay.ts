/**
 * How the user-space proxy carries traffic to an endpoint.
 *
 *   TCP   each accepted connection → a connection to an endpoint, bytes both ways
 *   UDP   each client (address:port) → a session: its own socket to one
 *         endpoint, chosen at the first datagram and kept (as conntrack
 *         keeps a UDP flow); replies go back from the socket the client
 *         sent to, so they come from the Service's address. A session ends
 *         after `idleMs` without traffic, or, when `maxSessions` are open,
 *         the one idle longest makes way for a new one — memory stays bounded.
 */
import { connect, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';

export interface Endpoint {
  ip: string;
  port: number;
}

/** One connection: to the endpoint the caller chose, or closed at once when there is none. */
export function relayTcp(socket: Socket, endpoint: Endpoint | undefined): void {
  if (!endpoint) {
    socket.destroy();
    return;
  }
  const upstream = connect(endpoint.port, endpoint.ip);
  socket.pipe(upstream);
  upstream.pipe(socket);
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  // Either side gone for good (or destroyed by a stopping proxy): the other goes too.
  upstream.on('close', () => socket.destroy());
  socket.on('close', () => upstream.destroy());
}

interface UdpSession {
  upstream: UdpSocket;
  endpoint: Endpoint;
  timer: NodeJS.Timeout;
}

export interface UdpRelayOptions {
  /** The endpoint for a new client, or undefined when none is ready (the datagram is dropped). */
  choose: () => Endpoint | undefined;
  /** A session ends after this long without a datagram either way (default 30 s, conntrack's UDP timeout). */
  idleMs?: number;
  /** At most this many sessions at once (default 1024). */
  maxSessions?: number;
}

export class UdpRelay {
  /** Sessions by client `address:port`, the one idle longest first (a Map keeps insertion order; activity re-inserts). */
  private readonly sessions = new Map<string, UdpSession>();
  private readonly idleMs: number;
  private readonly maxSessions: number;

  constructor(
    private readonly socket: UdpSocket,
    private readonly options: UdpRelayOptions,
  ) {
    this.idleMs = options.idleMs ?? 30_000;
    this.maxSessions = options.maxSessions ?? 1024;
    socket.on('message', (message, client) => this.fromClient(message, client.address, client.port));
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private fromClient(message: Buffer, address: string, port: number): void {
    const key = `${address}:${port}`;
    let session = this.sessions.get(key);
    if (!session) {
      const endpoint = this.options.choose();
      if (!endpoint) return;
      if (this.sessions.size >= this.maxSessions) this.end(this.sessions.keys().next().value as string);
      session = this.open(key, address, port, endpoint);
    }
    this.touch(key, session);
    session.upstream.send(message, session.endpoint.port, session.endpoint.ip);
  }

  private open(key: string, address: string, port: number, endpoint: Endpoint): UdpSession {
    const upstream = createSocket('udp4');
    const timer = setTimeout(() => this.end(key), this.idleMs);
    timer.unref();
    const session: UdpSession = { upstream, endpoint, timer };
    upstream.on('message', (reply, from) => {
      if (from.address !== endpoint.ip || from.port !== endpoint.port) return;
      if (this.sessions.get(key) !== session) return;
      this.touch(key, session);
      this.socket.send(reply, port, address);
    });
    upstream.on('error', () => this.end(key));
    this.sessions.set(key, session);
    return session;
  }

  /** Marks a session active: its idle timer restarts and it moves to the back of the eviction order. */
  private touch(key: string, session: UdpSession): void {
    session.timer.refresh();
    this.sessions.delete(key);
    this.sessions.set(key, session);
  }

  private end(key: string): void {
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    clearTimeout(session.timer);
    session.upstream.close();
  }

  /** Ends the sessions whose endpoint is no longer among these (it went away or is not ready). */
  keepOnly(endpoints: Endpoint[]): void {
    const live = new Set(endpoints.map((e) => `${e.ip}:${e.port}`));
    for (const [key, session] of [...this.sessions]) if (!live.has(`${session.endpoint.ip}:${session.endpoint.port}`)) this.end(key);
  }

  close(): void {
    for (const key of [...this.sessions.keys()]) this.end(key);
    try {
      this.socket.close();
    } catch {
      // already closed (it failed to bind)
    }
  }
}
