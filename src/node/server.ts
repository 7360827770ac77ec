/**
 * The agent's own HTTPS endpoint, as the kubelet's port: the apiserver
 * calls it for `kubectl logs`, exec, attach and port-forward; Prometheus and
 * the apiserver's metrics scraper for metrics.
 *
 *   GET /healthz (as the kubelet's: `kubectl get --raw /api/v1/nodes/<node>/proxy/healthz`)
 *   GET /metrics, /metrics/resource, /metrics/cadvisor (metrics/handler.ts)
 *   GET /containerLogs/<namespace>/<pod>/<container>?follow&timestamps&tailLines&sinceSeconds&sinceTime&limitBytes&previous
 *   WebSocket or SPDY/3.1 upgrade /exec|attach/<namespace>/<pod>/<container>?command&stdin&stdout&stderr&tty
 *   WebSocket or SPDY/3.1 upgrade /portforward/<namespace>/<pod>?ports
 */
import { isTrueParameter } from '../machinery/query-params.js';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { guardRequest, guardUpgrade, type RequestAuth } from '../client/delegated-auth/index.js';
import { WebSocketServer } from 'ws';
import { execProtocols, exitStatus, runAttach, runExec, webSocketConnection, type RemoteCommandConnection } from './exec.js';
import type { AddressInfo } from 'node:net';
import type { RotatingClientCertificate } from '../client/index.js';
import { streamLog } from './logs.js';
import { acceptSpdyPortForward, portForwardProtocols, servePortForward, spdyTunnelProtocol } from './portforward/handler.js';
import { isSpdyUpgrade } from './portforward/spdy.js';
import { acceptSpdyRemoteCommand } from './spdy-remotecommand.js';
import type { PodWorker } from './pod-worker.js';

const spdyTunnelAlias = 'skiff-spdy-tunnel';

export interface NodeServerTls {
  certPem: string;
  keyPem: string;
  caPem: string;
  /** A serving certificate renewed while the agent runs (through a kubelet-serving CSR): new connections get the new one. */
  rotating?: RotatingClientCertificate;
}

export interface NodeServer {
  port: number;
  close(): Promise<void>;
}

function send(res: import('node:http').ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message);
}

/**
 * Who may call: with `auth`, as the kubelet — a client certificate of the
 * cluster CA or a bearer token (TokenReview), each request authorized by a
 * SubjectAccessReview on the node's subresources (nodes/metrics, nodes/log,
 * nodes/proxy…); without it, only client certificates of the cluster CA.
 */
export async function startNodeServer(tls: NodeServerTls, address: string, port: number, workers: () => Iterable<PodWorker>, auth?: RequestAuth, routes?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<NodeServer> {
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: !auth }, async (req, res) => {
    if (auth && !(await guardRequest(req, res, auth))) return;
    if (routes?.(req, res)) return;
    const url = new URL(req.url ?? '/', 'https://node');
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, 'ok');
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) return send(res, 404, 'not found');
    const [namespace, pod, container] = match.slice(1).map(decodeURIComponent);
    const worker = [...workers()].find((w) => w.podKey === `${namespace}/${pod}`);
    const log = worker?.logOf(container, isTrueParameter(url.searchParams.get('previous')));
    if (!log) return send(res, 404, `container "${container}" in pod "${pod}" not found on this node`);
    const number = (name: string) => (url.searchParams.has(name) ? Number(url.searchParams.get(name)) : undefined);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.flushHeaders();
    void streamLog(
      log.path,
      {
        follow: isTrueParameter(url.searchParams.get('follow')),
        timestamps: isTrueParameter(url.searchParams.get('timestamps')),
        tailLines: number('tailLines'),
        sinceSeconds: number('sinceSeconds'),
        sinceTime: url.searchParams.get('sinceTime') ?? undefined,
        limitBytes: number('limitBytes'),
      },
      res,
      log.running,
      abort.signal,
    )
      .catch(() => {})
      .finally(() => res.end());
  });
  const sockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered, req) => {
      if (offered.has(spdyTunnelAlias)) return spdyTunnelProtocol;
      const known = req.url?.startsWith('/portforward/') ? portForwardProtocols : execProtocols;
      return known.find((p) => offered.has(p)) ?? false;
    },
  });
  // Streaming arrives as an upgrade: a WebSocket (kubectl ≥ 1.30), or SPDY/3.1 (older kubectl, client-go tools).
  server.on('upgrade', async (req, socket, head) => {
    if (auth && !(await guardUpgrade(req, socket, auth))) return;
    const url = new URL(req.url ?? '/', 'https://node');
    const spdy = isSpdyUpgrade(req);
    const forward = /^\/portforward\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (forward) {
      const [namespace, pod] = forward.slice(1).map(decodeURIComponent);
      const target = [...workers()].find((w) => w.podKey === `${namespace}/${pod}`)?.portForwardTarget();
      if (!target) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      if (spdy) {
        acceptSpdyPortForward(req, socket, head, target);
        return;
      }
      const ports = (url.searchParams.get('ports') ?? '').split(',').filter(Boolean).map(Number);
      // `SPDY/3.1+portforward.k8s.io` has a '/', which the WebSocket library refuses in offers
      // (though not in its answer): offered under another name, answered under its own.
      const offered = String(req.headers['sec-websocket-protocol'] ?? '');
      req.headers['sec-websocket-protocol'] = offered
        .split(',')
        .map((p) => (p.trim() === spdyTunnelProtocol ? spdyTunnelAlias : p.trim()))
        .join(', ');
      sockets.handleUpgrade(req, socket, head, (ws) => servePortForward(ws, target, ports));
      return;
    }
    const match = /^\/(exec|attach)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!match) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const [verb, namespace, pod, container] = [match[1], ...match.slice(2).map(decodeURIComponent)];
    const flag = (name: string) => isTrueParameter(url.searchParams.get(name));
    const serve = (connection: RemoteCommandConnection) => {
      const worker = [...workers()].find((w) => w.podKey === `${namespace}/${pod}`);
      if (verb === 'attach') {
        const attached = worker?.attach(container, (stream, data) => connection.output(stream, data));
        if (!attached) return connection.finish(exitStatus(['attach'], null, `cannot attach to container ${container} in pod ${pod}`));
        return runAttach(connection, attached, flag('stdin'));
      }
      const command = url.searchParams.getAll('command');
      const target = worker?.execTarget(container);
      if (!target) return connection.finish(exitStatus(command, null, `container ${container} is not running in pod ${pod}`));
      if ('error' in target) return connection.finish(exitStatus(command, null, target.error));
      runExec(connection, command, target.start, flag('stdin'), flag('tty'));
    };
    if (spdy) acceptSpdyRemoteCommand(req, socket, head, { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') }, serve);
    else sockets.handleUpgrade(req, socket, head, (ws) => serve(webSocketConnection(ws)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  const stopFollowing = tls.rotating?.onChange(() => server.setSecureContext({ cert: tls.rotating!.certPem, key: tls.rotating!.keyPem, ca: tls.caPem }));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        stopFollowing?.();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
