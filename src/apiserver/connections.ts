/**
 * Connection hygiene for the HTTPS server, so idle clients cannot take the
 * descriptors that new clients need:
 *
 * - a TLS handshake must finish within a deadline (10 s by default);
 * - a connection whose handshake finished must send its first request
 *   within the header timeout (32 s, upstream's ReadHeaderTimeout) — Node
 *   itself never closes one that stays silent;
 * - idle keep-alive connections close after the idle timeout (90 s, as
 *   upstream's IdleTimeout, which matches client-go's transport);
 * - a cap on open connections, kept below the descriptor limit so the
 *   process keeps headroom (database, node agents, pods' logs); near the
 *   cap, the connections idle the longest are closed to make room, so a new
 *   kubectl still connects while thousands of idle ones are held. Only when
 *   every connection is busy does the server refuse new ones.
 */
import type { Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export const defaultTlsHandshakeTimeoutMs = 10_000;
export const defaultHeaderTimeoutMs = 32_000;
export const defaultIdleTimeoutMs = 90_000;

export interface ConnectionLimits {
  /** Most connections open at once (the server refuses more); 0: no cap (the descriptor limit is unknown). */
  maxConnections: number;
  /** A TLS handshake not done by then closes the connection. */
  tlsHandshakeTimeoutMs: number;
  /** A connection that sends no request headers by then is closed. */
  headerTimeoutMs: number;
  /** A keep-alive connection idle this long is closed. */
  idleTimeoutMs: number;
}

/**
 * Descriptors kept free of client connections: a tenth of the limit, at
 * least 256, and never more than half — for the database, node agents'
 * streams, pods' log files, the process's own clients.
 */
export function connectionCapFor(descriptorLimit: number): number {
  const headroom = Math.max(256, Math.floor(descriptorLimit / 10));
  return Math.max(Math.floor(descriptorLimit / 2), descriptorLimit - headroom);
}

interface Connection {
  raw: Socket;
  tls?: TLSSocket;
  /** Requests being answered on it now. */
  active: number;
  /** A request has been seen (so Node's keep-alive timeout governs it from now on). */
  served: boolean;
  /** Taken over by an upgrade (exec, attach, port-forward): never idle again. */
  upgraded: boolean;
  idleSince: number;
}

export class ConnectionGuard {
  /** Every open connection, by its TCP endpoints. */
  private readonly connections = new Map<string, Connection>();
  private readonly byTlsSocket = new WeakMap<TLSSocket, Connection>();
  /** Idle connections, the longest idle first (a Map keeps insertion order). */
  private readonly idle = new Map<Connection, true>();
  /** Above this many open connections, new ones make room by closing idle ones. */
  private readonly evictAbove: number;
  private sweep: NodeJS.Timeout | undefined;
  private evictedSinceLog = 0;
  private lastEvictionLog = 0;
  /** Connections closed to make room, since the start (for logs and benchmarks). */
  evicted = 0;

  constructor(
    private readonly server: HttpsServer,
    private readonly limits: ConnectionLimits,
    private readonly log: (event: Record<string, unknown>) => void = () => {},
  ) {
    // A little room below the hard cap absorbs a burst of connections arriving together.
    const cap = limits.maxConnections;
    this.evictAbove = cap > 0 ? Math.max(1, cap - Math.max(1, Math.min(256, Math.floor(cap / 50)))) : Infinity;
    if (cap > 0) server.maxConnections = cap;
    server.keepAliveTimeout = limits.idleTimeoutMs;
    // Node wants the header timeout no longer than the request timeout.
    server.headersTimeout = Math.min(limits.headerTimeoutMs, server.requestTimeout || limits.headerTimeoutMs);
    // Before the TLS layer wraps the socket (it listens first), so the endpoints are still readable.
    server.prependListener('connection', (raw: Socket) => this.opened(raw));
    server.on('secureConnection', (tls: TLSSocket) => this.secured(tls));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.requestStarted(req, res));
    server.on('upgrade', (req: IncomingMessage) => this.upgraded(req));
    // Expired silent connections are found by a sweep, not a timer per connection.
    const every = Math.max(10, Math.min(1000, Math.floor(Math.min(limits.tlsHandshakeTimeoutMs, limits.headerTimeoutMs) / 4)));
    this.sweep = setInterval(() => this.closeSilent(), every);
    this.sweep.unref();
  }

  /** Open connections now. */
  get open(): number {
    return this.connections.size;
  }

  stop(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
  }

  private opened(raw: Socket): void {
    const key = endpoints(raw);
    if (!key) return;
    const connection: Connection = { raw, active: 0, served: false, upgraded: false, idleSince: Date.now() };
    this.connections.set(key, connection);
    this.idle.set(connection, true);
    raw.once('close', () => {
      this.connections.delete(key);
      this.idle.delete(connection);
    });
    if (this.connections.size > this.evictAbove) this.makeRoom(connection);
  }

  private secured(tls: TLSSocket): void {
    const key = endpoints(tls);
    const connection = key ? this.connections.get(key) : undefined;
    if (!connection) return;
    connection.tls = tls;
    this.byTlsSocket.set(tls, connection);
    this.markIdle(connection);
  }

  private requestStarted(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.byTlsSocket.get(req.socket as TLSSocket);
    if (!connection) return;
    connection.active++;
    connection.served = true;
    this.idle.delete(connection);
    res.once('close', () => {
      connection.active--;
      if (connection.active === 0 && !connection.upgraded) this.markIdle(connection);
    });
  }

  private upgraded(req: IncomingMessage): void {
    const connection = this.byTlsSocket.get(req.socket as TLSSocket);
    if (!connection) return;
    connection.upgraded = true;
    this.idle.delete(connection);
  }

  private markIdle(connection: Connection): void {
    connection.idleSince = Date.now();
    this.idle.delete(connection);
    this.idle.set(connection, true);
  }

  /** Closes the longest-idle connections until the count is back under the threshold. */
  private makeRoom(newcomer: Connection): void {
    let closed = 0;
    for (const connection of this.idle.keys()) {
      if (this.connections.size - closed <= this.evictAbove) break;
      if (connection === newcomer) continue;
      this.idle.delete(connection);
      this.close(connection);
      closed++;
    }
    if (closed === 0) return;
    this.evicted += closed;
    this.evictedSinceLog += closed;
    // One line per ten seconds at most: a flood of connections must not become a flood of logs.
    const now = Date.now();
    if (now - this.lastEvictionLog >= 10_000) {
      this.log({ msg: 'closed idle connections to make room for new clients', closed: this.evictedSinceLog, open: this.connections.size, maxConnections: this.limits.maxConnections });
      this.evictedSinceLog = 0;
      this.lastEvictionLog = now;
    }
  }

  /** Handshakes and first requests that did not come in time. */
  private closeSilent(): void {
    const now = Date.now();
    const oldestDeadline = Math.min(this.limits.tlsHandshakeTimeoutMs, this.limits.headerTimeoutMs);
    for (const connection of this.idle.keys()) {
      const idleFor = now - connection.idleSince;
      // The map is ordered by idleSince: nothing after this one can have expired.
      if (idleFor < oldestDeadline) break;
      if (connection.served) continue; // Node's keep-alive timeout governs it.
      const deadline = connection.tls ? this.limits.headerTimeoutMs : this.limits.tlsHandshakeTimeoutMs;
      if (idleFor >= deadline) {
        this.idle.delete(connection);
        this.close(connection);
      }
    }
  }

  private close(connection: Connection): void {
    (connection.tls ?? connection.raw).destroy();
  }
}

/** A TCP connection's endpoints: unique among the open connections of one server. */
function endpoints(socket: Socket): string | undefined {
  if (socket.remoteAddress === undefined) return undefined;
  return `${socket.localAddress}:${socket.localPort}-${socket.remoteAddress}:${socket.remotePort}`;
}
