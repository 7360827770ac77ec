/**
 * The secure port of a control-plane component (kube-scheduler's 10259,
 * kube-controller-manager's 10257): HTTPS that asks for a client certificate
 * without requiring one, every request authenticated and authorized through
 * the guard (delegated to the apiserver), then routed by exact path.
 * /healthz, /livez and /readyz answer `ok` unless the caller routes them
 * itself; the authorizer decides whether they are open to anyone (upstream's
 * AlwaysAllowPaths). An address already in use is a PortInUseError, so the
 * caller can choose another port.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../util/log.js';
import type { RotatingClientCertificate } from '../rotating-certificate.js';
import { guardRequest, requestPath, type RequestAuth } from './guard.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ComponentServerOptions {
  tls: {
    certPem: string;
    keyPem: string;
    /** Client certificates signed by this bundle are verified by TLS (the authenticator then trusts them). */
    caPem: string;
    /** A serving certificate replaced while the server runs: new connections get the new one. */
    rotating?: RotatingClientCertificate;
  };
  /** The address to listen on (default all interfaces, as upstream's --bind-address 0.0.0.0). */
  host?: string;
  /** 0 chooses a free port. */
  port: number;
  auth: RequestAuth;
  /** Handlers by exact path (`/metrics`, `/configz`…), reached only by requests the guard let through. */
  routes: Record<string, RouteHandler>;
  log?: Logger;
}

export interface ComponentServer {
  port: number;
  close(): Promise<void>;
}

/** The port asked for is taken; `code` stays EADDRINUSE for callers that test it. */
export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  constructor(readonly port: number) {
    super(`port ${port} is in use`);
    this.name = 'PortInUseError';
  }
}

const healthPaths = ['/healthz', '/livez', '/readyz'];

/** Upstream's answer of a passing health check. */
const healthy: RouteHandler = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end('ok');
};

export async function startComponentServer(options: ComponentServerOptions): Promise<ComponentServer> {
  const log = options.log ?? (() => {});
  const routes = new Map<string, RouteHandler>(healthPaths.map((path) => [path, healthy]));
  for (const [path, handler] of Object.entries(options.routes)) routes.set(path, handler);

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const user = await guardRequest(req, res, options.auth);
    if (!user) return;
    const handler = routes.get(requestPath(req));
    if (!handler) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end('404 page not found\n');
      return;
    }
    await handler(req, res);
  };

  const { tls } = options;
  const server = https.createServer({ cert: tls.rotating?.certPem ?? tls.certPem, key: tls.rotating?.keyPem ?? tls.keyPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    serve(req, res).catch((err: Error) => {
      log({ msg: 'handler failed', path: requestPath(req), err: err.message, v: 0 });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(options.port) : err);
    server.once('error', failed);
    server.listen(options.port, options.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  server.on('error', (err) => log({ msg: 'secure port failed', err: err.message, v: 0 }));
  const stopFollowing = tls.rotating?.onChange(() => server.setSecureContext({ cert: tls.rotating!.certPem, key: tls.rotating!.keyPem, ca: tls.caPem }));
  const port = (server.address() as AddressInfo).port;
  log({ msg: 'serving securely', address: options.host ?? '0.0.0.0', port, v: 1 });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        stopFollowing?.();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
