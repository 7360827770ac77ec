/**
 * Where the components that `skiff up` and `skiff server` run beside the
 * apiserver serve their metrics, at upstream's ports:
 *
 *   the scheduler           https://127.0.0.1:10259/metrics  (kube-scheduler's secure port)
 *   the controller manager  https://127.0.0.1:10257/metrics  (kube-controller-manager's)
 *   the node's network      http://127.0.0.1:10249/metrics   (kube-proxy's metrics port; DNS too)
 *
 * The secure ones authenticate and authorize through the apiserver
 * (TokenReview, SubjectAccessReview on the path: system:monitoring may get
 * /metrics), as upstream's delegated authentication does. A port that is
 * taken (a second cluster on this machine) gives way to a free one, logged.
 */
import http from 'node:http';
import type { Registry } from 'prom-client';
import { Client, type ClientConfig } from '../client/index.js';
import {
  componentAlwaysAllowPaths,
  componentAuth,
  componentAuthorizationCacheTtls,
  componentTokenCacheTtlMs,
  delegatedAuthenticator,
  delegatedAuthorizer,
  PortInUseError,
  startComponentServer,
  type ComponentServer,
} from '../client/delegated-auth/index.js';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../apiserver/pki/certificates.js';
import { whenAborted } from '../machinery/abort.js';

export const schedulerSecurePort = 10259;
export const controllerManagerSecurePort = 10257;
export const proxyMetricsPort = 10249;

type Log = (event: Record<string, unknown>) => void;

/** GET /metrics answered from a registry. */
function metricsRoute(registry: Registry) {
  return async (_req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const body = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType });
    res.end(body);
  };
}

/** Listens on `port`, or on a free one when it is taken. */
async function withFallback<T>(port: number, start: (port: number) => Promise<T>, log: Log, what: string): Promise<T> {
  try {
    return await start(port);
  } catch (err) {
    if (!(err instanceof PortInUseError) && (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    log({ msg: `${what}: port ${port} is in use, serving on a free port instead`, v: 0 });
    return start(0);
  }
}

export interface SecureMetricsOptions {
  /** Who the component is: its client asks the apiserver about tokens and access. */
  credentials: ClientConfig;
  /** The component's serving certificate (from the cluster CA) and the CA client certificates must chain to. */
  tls: { certPem: string; keyPem: string; caPem: string };
  registry: Registry;
  port: number;
  host: string;
  signal: AbortSignal;
  log: Log;
  /** Said in the log line: `scheduler`, `controller-manager`. */
  component: string;
}

/** A component's secure port with /metrics, /healthz, /livez and /readyz; closed when the signal aborts. */
export async function serveSecureMetrics(options: SecureMetricsOptions): Promise<ComponentServer> {
  const client = new Client({ ...options.credentials, userAgent: `skiff-${options.component}-auth` });
  const auth = componentAuth({
    authenticator: delegatedAuthenticator({ client, caPem: options.tls.caPem, cacheTtlMs: componentTokenCacheTtlMs, log: options.log }),
    authorizer: delegatedAuthorizer({ client, alwaysAllowPaths: componentAlwaysAllowPaths, ...componentAuthorizationCacheTtls }),
    log: options.log,
  });
  const server = await withFallback(
    options.port,
    (port) => startComponentServer({ tls: options.tls, host: options.host, port, auth, routes: { '/metrics': metricsRoute(options.registry) }, log: options.log }),
    options.log,
    `${options.component} metrics`,
  );
  options.log({ msg: `${options.component} serving metrics`, url: `https://${options.host}:${server.port}/metrics` });
  whenAborted(options.signal, () => {
    void server.close();
    client.close();
  });
  return server;
}

/**
 * kube-proxy's plain-HTTP metrics port (no authentication, on loopback, as
 * upstream's default --metrics-bind-address 127.0.0.1:10249): the service
 * proxy's and the cluster DNS server's metrics.
 */
export async function servePlainMetrics(registry: Registry, port: number, signal: AbortSignal, log: Log): Promise<number> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/metrics') return void metricsRoute(registry)(req, res);
    if (req.method === 'GET' && (path === '/healthz' || path === '/livez')) return void res.end('ok');
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  });
  const listen = (wanted: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(wanted, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const bound = await withFallback(port, listen, log, 'network metrics');
  log({ msg: 'network serving metrics', url: `http://127.0.0.1:${bound}/metrics` });
  whenAborted(signal, () => server.close());
  return bound;
}

/**
 * A serving certificate for a component run alone (`skiff scheduler`,
 * `skiff controller-manager`) that was given none: self-signed, made at
 * start, as upstream's components make one without --tls-cert-file.
 */
export async function selfSignedServing(component: string, host: string): Promise<{ certPem: string; keyPem: string }> {
  const ca = await createCertificateAuthority(`${component}-ca@${Math.floor(Date.now() / 1000)}`, 365);
  return issueCertificate(ca, { commonName: `${host}@${Math.floor(Date.now() / 1000)}`, subjectAltNames: ['localhost', '127.0.0.1', host], usage: 'server', days: 365 });
}

/** A secure port for a component run alone: a self-signed certificate, client certificates of the kubeconfig's CA. */
export async function serveStandaloneMetrics(component: string, credentials: ClientConfig, registry: Registry, port: number, signal: AbortSignal, log: Log): Promise<void> {
  if (port === 0) return;
  const host = '127.0.0.1';
  const serving = await selfSignedServing(component, host);
  await serveSecureMetrics({ component, credentials, registry, port, host, tls: { ...serving, caPem: credentials.caPem ?? '' }, signal, log }).catch((err: Error) =>
    log({ msg: 'no metrics endpoint', error: err.message }),
  );
}
