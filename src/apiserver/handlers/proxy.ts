/**
 * `pods/<id>/proxy/<path>`, `services/<id>/proxy/<path>` and
 * `nodes/<id>/proxy/<path>` (kubectl proxy, `kubectl get --raw`): the
 * apiserver as a reverse proxy, as upstream's UpgradeAwareHandler. Every
 * method is passed on; the path after `/proxy` goes to the target with the
 * query; status, headers and body come back streamed. A redirect to the
 * target's own host is rewritten to go through the proxy again, and so are
 * such links in HTML pages (proxy-html.ts). Upgrades (WebSocket) are joined
 * to the target byte for byte. Where each id leads is proxy-target.ts.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { errors, StatusError, type Status } from '../../machinery/status.js';
import { toStatus } from '../http.js';
import type { RequestContext, ServerContext } from '../context.js';
import { resolveProxyTarget, type ProxiedResource, type ProxyTarget } from './proxy-target.js';
import { rewriteHtmlLinks } from './proxy-html.js';

/** `/api/v1/[namespaces/<ns>/](pods|services|nodes)/<id>/proxy[/<path>]`, on the raw (still escaped) path. */
const proxyPath = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?(pods|services|nodes)\/([^/]+)\/proxy(\/.*)?$/;

interface ProxyRequest {
  namespace?: string;
  resource: ProxiedResource;
  id: string;
  /** What follows `/proxy` (escaped as the client sent it); '' when nothing does. */
  rest: string;
  /** The path up to and including `/proxy`. */
  prefix: string;
}

/** The parts of a proxy path, or undefined when the path is not one (or names a namespace where none belongs). */
export function parseProxyPath(pathname: string): ProxyRequest | undefined {
  const match = proxyPath.exec(pathname);
  if (!match) return undefined;
  const [, namespace, resource, id, rest = ''] = match;
  if ((resource === 'nodes') !== (namespace === undefined)) return undefined;
  try {
    return {
      namespace: namespace && decodeURIComponent(namespace),
      resource: resource as ProxiedResource,
      id: decodeURIComponent(id),
      rest,
      prefix: pathname.slice(0, pathname.length - rest.length),
    };
  } catch {
    return undefined;
  }
}

/** Headers that describe one connection, not the message: never passed on (RFC 9110 §7.6.1). */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** The client's headers for the target: its credentials for the apiserver stay here (upstream's authentication filter drops them). */
function requestHeaders(req: IncomingMessage, target: ProxyTarget, forwardedUri: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const named = new Set(String(req.headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase()));
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || hopByHop.has(name) || named.has(name) || name === 'host' || name === 'authorization' || name.startsWith('impersonate-')) continue;
    headers[name] = value;
  }
  headers.host = target.port ? `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}` : target.host;
  const client = req.socket.remoteAddress;
  if (client) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${client}` : client;
  headers['x-forwarded-uri'] = forwardedUri;
  headers['x-forwarded-proto'] = 'https';
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  return headers;
}

/** CORS headers are the apiserver's business, not the target's (upstream strips them too). */
const corsHeaders = new Set(['access-control-allow-credentials', 'access-control-allow-headers', 'access-control-allow-methods', 'access-control-allow-origin']);

function responseHeaders(answer: IncomingMessage, proxy: ProxyRequest, target: ProxyTarget): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(answer.headers as IncomingHttpHeaders)) {
    if (value === undefined || hopByHop.has(name) || corsHeaders.has(name)) continue;
    headers[name] = value;
  }
  if (typeof headers.location === 'string') headers.location = rewriteLocation(headers.location, proxy.prefix, target);
  return headers;
}

/**
 * A redirect to a path on the target (`/login`, or `http://<target>/login`)
 * goes through the proxy again (`<prefix>/login`); one to another host, or a
 * relative one, is left alone — as upstream's proxy transport does.
 */
export function rewriteLocation(location: string, prefix: string, target: Pick<ProxyTarget, 'host' | 'port'>): string {
  let url: URL;
  try {
    url = new URL(location, 'http://relative.invalid');
  } catch {
    return location;
  }
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(location) || location.startsWith('//');
  if (absolute) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (host !== target.host || (target.port !== undefined && url.port !== '' && Number(url.port) !== target.port)) return location;
  } else if (!location.startsWith('/')) {
    return location;
  }
  if (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) return `${url.pathname}${url.search}${url.hash}`;
  return `${prefix}${url.pathname}${url.search}${url.hash}`;
}

/** Upstream's proxy transport gives up dialling after 30 s: so does this (as an i/o timeout, 503). */
const dialTimeoutMs = 30_000;

function dialDeadline(socket: Socket, fail: (err: Error) => void): void {
  const timer = setTimeout(() => fail(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })), dialTimeoutMs);
  timer.unref();
  const done = () => clearTimeout(timer);
  socket.once('connect', done);
  socket.once('secureConnect', done);
  socket.once('close', done);
}

/** An HTML page whose links can be rewritten: plain or gzip (others pass unchanged, as upstream). */
function rewritableHtml(answer: IncomingMessage): boolean {
  const type = String(answer.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const encoding = String(answer.headers['content-encoding'] ?? '').trim().toLowerCase();
  return type === 'text/html' && (encoding === '' || encoding === 'gzip');
}

/** Reads the whole page (upstream does too), rewrites its links, and sends it with its new length. */
function sendRewrittenHtml(answer: IncomingMessage, res: ServerResponse, code: number, headers: OutgoingHttpHeaders, rewrite: (url: string) => string): void {
  const chunks: Buffer[] = [];
  answer.on('data', (chunk: Buffer) => chunks.push(chunk));
  answer.on('end', () => {
    const gzipped = String(answer.headers['content-encoding'] ?? '').trim().toLowerCase() === 'gzip';
    let body = Buffer.concat(chunks);
    try {
      const page = rewriteHtmlLinks((gzipped ? gunzipSync(body) : body).toString('utf8'), rewrite);
      body = gzipped ? gzipSync(page) : Buffer.from(page);
    } catch {
      // Not really gzip: sent as it came.
    }
    res.writeHead(code, { ...headers, 'content-length': body.length });
    res.end(body);
  });
}

/** A connection error as upstream words it: the apiserver could not reach the target. */
function unreachable(err: NodeJS.ErrnoException, target: ProxyTarget): StatusError {
  const address = `${target.host}:${target.port ?? (target.scheme === 'https' ? 443 : 80)}`;
  const why = { ECONNREFUSED: 'connect: connection refused', EHOSTUNREACH: 'connect: no route to host', ETIMEDOUT: 'i/o timeout', ECONNRESET: 'connection reset by peer' }[err.code ?? ''];
  return errors.serviceUnavailable(`error trying to reach service: ${why ? `dial tcp ${address}: ${why}` : err.message}`);
}

function requestOptions(target: ProxyTarget, method: string, path: string, headers: OutgoingHttpHeaders): https.RequestOptions {
  const tls = target.tls
    ? { ca: target.tls.caPem, cert: target.tls.certPem, key: target.tls.keyPem, checkServerIdentity: () => undefined }
    : { rejectUnauthorized: false };
  return { host: target.host, port: target.port, method, path, headers, agent: false, ...(target.scheme === 'https' ? tls : {}) };
}

/** HTTP requests to a proxy subresource (routed from subresources.ts). */
export async function handleProxy(ctx: RequestContext): Promise<void> {
  const proxy = parseProxyPath(ctx.url.pathname);
  if (!proxy) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  const method = ctx.req.method ?? 'GET';
  // As upstream: the target's root is `…/proxy/`, so relative links on it resolve under the proxy.
  if (proxy.rest === '' && (method === 'GET' || method === 'HEAD')) {
    ctx.res.writeHead(301, { Location: `${ctx.url.pathname}/${ctx.url.search}`, 'Content-Length': 0 }).end();
    return;
  }
  const target = await resolveProxyTarget(ctx.server, proxy.resource, proxy.namespace, proxy.id);
  const path = `${proxy.rest || '/'}${ctx.url.search}`;
  const send = target.scheme === 'https' ? https.request : http.request;
  await new Promise<void>((resolve, reject) => {
    const upstream = send(requestOptions(target, method, path, requestHeaders(ctx.req, target, `${proxy.prefix}${proxy.rest}`)), (answer) => {
      answer.on('error', () => {
        ctx.res.destroy();
        resolve();
      });
      answer.on('end', () => resolve());
      const headers = responseHeaders(answer, proxy, target);
      if (method !== 'HEAD' && rewritableHtml(answer)) {
        sendRewrittenHtml(answer, ctx.res, answer.statusCode ?? 502, headers, (url) => rewriteLocation(url, proxy.prefix, target));
        return;
      }
      ctx.res.writeHead(answer.statusCode ?? 502, headers);
      // Each chunk goes out as it comes (a streaming target — logs, events — is streamed on).
      ctx.res.flushHeaders();
      answer.pipe(ctx.res);
    });
    upstream.on('socket', (socket) => dialDeadline(socket, (err) => upstream.destroy(err)));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (ctx.res.headersSent) {
        ctx.res.destroy();
        resolve();
      } else reject(unreachable(err, target));
    });
    // The client went away: stop asking the target.
    ctx.res.on('close', () => {
      upstream.destroy();
      resolve();
    });
    ctx.req.pipe(upstream);
  });
}

/** Whether an upgrade request is for a proxy subresource (then handleProxyUpgrade answers it). */
export function isProxyUpgrade(req: IncomingMessage): boolean {
  return parseProxyPath(new URL(req.url ?? '/', 'https://skiff').pathname) !== undefined;
}

/** Answers an upgrade request with a Status instead of a 101, and closes the connection. */
export function refuseUpgrade(socket: Duplex, status: Status): void {
  const body = JSON.stringify(status);
  socket.end(`HTTP/1.1 ${status.code} ${http.STATUS_CODES[status.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * An upgrade (WebSocket) to a proxy subresource: the request goes to the
 * target with the path after `/proxy`, and from then on the two connections
 * are joined; the target's answer — 101 or a refusal — reaches the client
 * unchanged.
 */
export async function handleProxyUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  server: ServerContext,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://skiff');
  const proxy = parseProxyPath(url.pathname)!;
  let target: ProxyTarget;
  try {
    target = await resolveProxyTarget(server, proxy.resource, proxy.namespace, proxy.id);
  } catch (err) {
    refuseUpgrade(socket, toStatus(err));
    return;
  }
  const port = target.port ?? (target.scheme === 'https' ? 443 : 80);
  const backend: Socket =
    target.scheme === 'https'
      ? tlsConnect({ host: target.host, port, ...(target.tls ? { ca: target.tls.caPem, cert: target.tls.certPem, key: target.tls.keyPem, checkServerIdentity: () => undefined } : { rejectUnauthorized: false }) })
      : netConnect({ host: target.host, port });
  dialDeadline(backend, (err) => backend.destroy(err));
  backend.once(target.scheme === 'https' ? 'secureConnect' : 'connect', () => {
    const headers = requestHeaders(req, target, `${proxy.prefix}${proxy.rest}`);
    // The upgrade itself is what is passed on here: keep the client's Connection and Upgrade.
    const lines = [`${req.method ?? 'GET'} ${proxy.rest || '/'}${url.search} HTTP/1.1`, `Connection: ${req.headers.connection ?? 'Upgrade'}`, `Upgrade: ${req.headers.upgrade ?? ''}`];
    for (const [name, value] of Object.entries(headers)) for (const one of ([] as unknown[]).concat(value)) lines.push(`${name}: ${String(one)}`);
    backend.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) backend.write(head);
    backend.pipe(socket);
    socket.pipe(backend);
  });
  backend.on('error', (err: NodeJS.ErrnoException) => {
    if (socket.writable && backend.bytesRead === 0) refuseUpgrade(socket, unreachable(err, target).status);
    else socket.destroy();
  });
  socket.on('error', () => backend.destroy());
  socket.on('close', () => backend.destroy());
  backend.on('close', () => socket.destroy());
}
