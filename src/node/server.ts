/**
 * The agent's own HTTPS endpoint, which only the apiserver calls (it
 * proxies `kubectl logs` here): clients must present a certificate signed by
 * the cluster CA.
 *
 *   GET /containerLogs/<namespace>/<pod>/<container>?follow&timestamps&tailLines&sinceSeconds&sinceTime&limitBytes&previous
 *   WebSocket /exec|attach/<namespace>/<pod>/<container>?command&stdin&tty
 *   WebSocket /portforward/<namespace>/<pod>?ports
 */
import { isTrueParameter } from '../machinery/query-params.js';
import https from 'node:https';
import { WebSocketServer } from 'ws';
import { attachOutput, execProtocols, exitStatus, runAttach, runExec } from './exec.js';
import type { AddressInfo } from 'node:net';
import type { RotatingClientCertificate } from '../client/index.js';
import { streamLog } from './logs.js';
import { portForwardProtocols, servePortForward, spdyTunnelProtocol } from './portforward/handler.js';

const spdyTunnelAlias = 'skiff-spdy-tunnel';
import type { PodWorker } from './pod-worker.js';

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

export async function startNodeServer(tls: NodeServerTls, address: string, port: number, workers: () => Iterable<PodWorker>): Promise<NodeServer> {
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://node');
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
  // exec arrives as a WebSocket upgrade: /exec/<namespace>/<pod>/<container>?command=…&stdin=…
  const sockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered, req) => {
      if (offered.has(spdyTunnelAlias)) return spdyTunnelProtocol;
      const known = req.url?.startsWith('/portforward/') ? portForwardProtocols : execProtocols;
      return known.find((p) => offered.has(p)) ?? false;
    },
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://node');
    const forward = /^\/portforward\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (forward) {
      const [namespace, pod] = forward.slice(1).map(decodeURIComponent);
      const target = [...workers()].find((w) => w.podKey === `${namespace}/${pod}`)?.portForwardTarget();
      if (!target) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
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
    const worker = [...workers()].find((w) => w.podKey === `${namespace}/${pod}`);
    const target = worker?.execTarget(container);
    sockets.handleUpgrade(req, socket, head, (ws) => {
      if (verb === 'attach') {
        const attached = worker?.attach(container, attachOutput(ws));
        if (!attached) {
          ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(exitStatus(['attach'], null, `cannot attach to container ${container} in pod ${pod}`)))]));
          ws.close(1000);
          return;
        }
        runAttach(ws, attached, isTrueParameter(url.searchParams.get('stdin')));
        return;
      }
      const command = url.searchParams.getAll('command');
      if (!target) {
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(exitStatus(command, null, `container ${container} is not running in pod ${pod}`)))]));
        ws.close(1000);
        return;
      }
      if (target.error) {
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(exitStatus(command, null, target.error)))]));
        ws.close(1000);
        return;
      }
      runExec(ws, command, target.env, isTrueParameter(url.searchParams.get('stdin')), target.inContainer, isTrueParameter(url.searchParams.get('tty')));
    });
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
