/**
 * The proxy subresources on a real apiserver: pods/proxy, services/proxy and
 * nodes/proxy reach a fake "pod" (an HTTP server on loopback whose address
 * the test writes into pod status and Endpoints) and a fake node agent (an
 * HTTPS server with a cluster-issued certificate that wants the apiserver's
 * client certificate). Every method and the body pass through, the prefix
 * is stripped, redirects come back through the proxy, WebSockets are joined,
 * and what cannot be reached is upstream's Status.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { issueServingCertificate } from '../../src/apiserver/pki/index.js';

let api: TestServer;
let pod: http.Server;
let podPort: number;
let agent: https.Server;
let agentPort: number;
let closedPort: number;

/** The fake pod: echoes what it got; /redirect redirects; /stream sends two chunks; /ws is a WebSocket echo. */
function podServer(): http.Server {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: '/landing?x=1', 'Access-Control-Allow-Origin': '*' }).end();
        return;
      }
      if (req.url === '/page') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(`<html><head><link rel="stylesheet" href="/style.css"></head><body><a href='/next?a=1'>next</a> <a href="rel/x">rel</a> <a href="http://example.com/">out</a> <img src="http://127.0.0.1:${podPort}/logo.png"></body></html>`);
        return;
      }
      if (req.url === '/elsewhere') {
        res.writeHead(302, { Location: 'http://example.com/away' }).end();
        return;
      }
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-From-Pod': 'yes' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), authorization: req.headers.authorization ?? null, forwardedUri: req.headers['x-forwarded-uri'] }));
    });
  });
  const sockets = new WebSocketServer({ server, path: '/ws' });
  sockets.on('connection', (ws, req) => ws.on('message', (data) => ws.send(`echo ${req.url}: ${data.toString()}`)));
  return server;
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

before(async () => {
  api = await startTestServer();
  pod = podServer();
  podPort = await listen(pod);
  const serving = await issueServingCertificate(api.pki, 'node-a', ['127.0.0.1']);
  agent = https.createServer({ cert: serving.certPem, key: serving.keyPem, ca: api.pki.caCertPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`agent ${req.url} for ${peer.subject?.CN}`);
  });
  agentPort = await listen(agent);
  const spare = http.createServer();
  closedPort = await listen(spare);
  await new Promise((resolve) => spare.close(resolve));

  await api.request('POST', '/api/v1/namespaces', { metadata: { name: 'px' } });
  const created = await api.request('POST', '/api/v1/namespaces/px/pods', {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { containers: [{ name: 'main', image: 'x', ports: [{ name: 'http', containerPort: podPort }] }] },
  });
  assert.equal(created.status, 201, created.body);
  const status = await api.request('PATCH', '/api/v1/namespaces/px/pods/web/status', { status: { podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] } }, { 'Content-Type': 'application/merge-patch+json' });
  assert.equal(status.status, 200, status.body);
  await api.request('POST', '/api/v1/namespaces/px/pods', { metadata: { name: 'pending' }, spec: { containers: [{ name: 'main', image: 'x' }] } });

  for (const [name, ports] of [
    ['web', [{ name: 'http', port: 80, targetPort: podPort }]],
    ['empty', [{ port: 80 }]],
  ] as const) {
    const service = await api.request('POST', '/api/v1/namespaces/px/services', { metadata: { name }, spec: { ports } });
    assert.equal(service.status, 201, service.body);
  }
  await api.request('POST', '/api/v1/namespaces/px/endpoints', {
    metadata: { name: 'web' },
    subsets: [{ addresses: [{ ip: '127.0.0.1', targetRef: { kind: 'Pod', name: 'web', namespace: 'px' } }], ports: [{ name: 'http', port: podPort }] }],
  });
  await api.request('POST', '/api/v1/namespaces/px/endpoints', { metadata: { name: 'empty' } });

  const node = await api.request('POST', '/api/v1/nodes', { metadata: { name: 'node-a' } });
  assert.equal(node.status, 201, node.body);
  const nodeStatus = await api.request(
    'PATCH',
    '/api/v1/nodes/node-a/status',
    { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: agentPort } } } },
    { 'Content-Type': 'application/merge-patch+json' },
  );
  assert.equal(nodeStatus.status, 200, nodeStatus.body);
});

after(async () => {
  await api?.close();
  pod?.closeAllConnections();
  agent?.closeAllConnections();
  await Promise.all([pod, agent].map((s) => s && new Promise((resolve) => s.close(resolve))));
});

describe('pods/proxy', () => {
  it('passes the method, path after /proxy, query and body through, and the status and headers back', async () => {
    const res = await api.request('POST', `/api/v1/namespaces/px/pods/web:${podPort}/proxy/some/path?a=1&b=two`, 'hello', { 'Content-Type': 'text/plain' });
    assert.equal(res.status, 201);
    assert.equal(res.headers['x-from-pod'], 'yes');
    assert.deepEqual(res.json(), { method: 'POST', url: '/some/path?a=1&b=two', body: 'hello', authorization: null, forwardedUri: `/api/v1/namespaces/px/pods/web:${podPort}/proxy/some/path` });
  });

  it('takes the first container port when none is named, a port name, and the http: scheme', async () => {
    for (const id of ['web', 'web:http', `http:web:${podPort}`]) {
      const res = await api.request('DELETE', `/api/v1/namespaces/px/pods/${id}/proxy/x`);
      assert.equal(res.status, 201, `${id}: ${res.body}`);
      assert.equal(res.json().method, 'DELETE');
    }
  });

  it('redirects the bare /proxy to /proxy/, as upstream', async () => {
    const res = await api.request('GET', `/api/v1/namespaces/px/pods/web/proxy?q=1`);
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, '/api/v1/namespaces/px/pods/web/proxy/?q=1');
    const root = await api.request('GET', `/api/v1/namespaces/px/pods/web/proxy/`);
    assert.equal(root.json().url, '/');
  });

  it('rewrites a redirect to the pod itself to go through the proxy; leaves other hosts alone; drops CORS headers', async () => {
    const res = await api.request('GET', `/api/v1/namespaces/px/pods/web/proxy/redirect`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/api/v1/namespaces/px/pods/web/proxy/landing?x=1');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    const away = await api.request('GET', `/api/v1/namespaces/px/pods/web/proxy/elsewhere`);
    assert.equal(away.headers.location, 'http://example.com/away');
  });

  it('rewrites links of an HTML page that point at the pod itself; leaves relative and other hosts alone', async () => {
    const prefix = '/api/v1/namespaces/px/pods/web/proxy';
    const res = await api.request('GET', `${prefix}/page`);
    assert.equal(res.status, 200);
    assert.equal(
      res.body,
      `<html><head><link rel="stylesheet" href="${prefix}/style.css"></head><body><a href='${prefix}/next?a=1'>next</a> <a href="rel/x">rel</a> <a href="http://example.com/">out</a> <img src="${prefix}/logo.png"></body></html>`,
    );
    assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body));
  });

  it('answers upstream Status errors: unknown pod 404, no IP 400, nothing listening 503, bad id 400', async () => {
    const missing = await api.request('GET', '/api/v1/namespaces/px/pods/nope/proxy/');
    assert.equal(missing.status, 404);
    assert.equal(missing.json().reason, 'NotFound');
    const pending = await api.request('GET', '/api/v1/namespaces/px/pods/pending:80/proxy/');
    assert.equal(pending.status, 400);
    assert.equal(pending.json().message, 'address not allowed');
    const closed = await api.request('GET', `/api/v1/namespaces/px/pods/web:${closedPort}/proxy/`);
    assert.equal(closed.status, 503);
    assert.equal(closed.json().reason, 'ServiceUnavailable');
    assert.equal(closed.json().message, `error trying to reach service: dial tcp 127.0.0.1:${closedPort}: connect: connection refused`);
    const bad = await api.request('GET', '/api/v1/namespaces/px/pods/ftp:web:80/proxy/');
    assert.equal(bad.status, 400);
    assert.equal(bad.json().message, 'invalid pod request "ftp:web:80"');
  });

  it('joins a WebSocket through the proxy to the pod', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${api.port}/api/v1/namespaces/px/pods/web/proxy/ws?x=1`, {
      ca: api.credentials.caPem,
      cert: api.credentials.certPem,
      key: api.credentials.keyPem,
    });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('ping'));
      ws.on('message', (data) => resolve(data.toString()));
      ws.on('error', reject);
    });
    ws.close();
    assert.equal(reply, 'echo /ws?x=1: ping');
  });

  it('refuses a WebSocket without credentials (system:anonymous may not proxy) and one with a bad token', async () => {
    const answer = (headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`wss://127.0.0.1:${api.port}/api/v1/namespaces/px/pods/web/proxy/ws`, { ca: api.credentials.caPem, headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      });
    assert.equal(await answer(), 403);
    assert.equal(await answer({ Authorization: 'Bearer not-a-token' }), 401);
  });
});

describe('services/proxy', () => {
  it('reaches a ready endpoint by the service port number and by its name', async () => {
    for (const id of ['web:80', 'web:http', 'http:web:80']) {
      const res = await api.request('GET', `/api/v1/namespaces/px/services/${id}/proxy/hello?x=y`);
      assert.equal(res.status, 201, `${id}: ${res.body}`);
      assert.equal(res.json().url, '/hello?x=y');
    }
  });

  it('answers 503 ServiceUnavailable as upstream when nothing can serve', async () => {
    const none = await api.request('GET', '/api/v1/namespaces/px/services/empty:80/proxy/');
    assert.equal(none.status, 503);
    assert.equal(none.json().reason, 'ServiceUnavailable');
    assert.equal(none.json().message, 'no endpoints available for service "empty"');
    const unknownName = await api.request('GET', '/api/v1/namespaces/px/services/web:nope/proxy/');
    assert.equal(unknownName.status, 503);
    assert.equal(unknownName.json().message, 'no endpoints available for service "web:nope"');
    const unknownNumber = await api.request('GET', '/api/v1/namespaces/px/services/web:81/proxy/');
    assert.equal(unknownNumber.status, 503);
    assert.equal(unknownNumber.json().message, 'no service port 81 found for service "web"');
    const missing = await api.request('GET', '/api/v1/namespaces/px/services/nope:80/proxy/');
    assert.equal(missing.status, 404);
  });
});

describe('nodes/proxy', () => {
  it("reaches the node agent's endpoint over https with the apiserver's client certificate", async () => {
    const res = await api.request('GET', '/api/v1/nodes/node-a/proxy/healthz?verbose');
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, 'agent /healthz?verbose for skiff-admin');
  });

  it('reaches another port of the node over plain http when one is named', async () => {
    const res = await api.request('GET', `/api/v1/nodes/node-a:${podPort}/proxy/on-node`);
    assert.equal(res.status, 201, res.body);
    assert.equal(res.json().url, '/on-node');
  });

  it('is not found for a node that does not exist', async () => {
    const res = await api.request('GET', '/api/v1/nodes/nope/proxy/healthz');
    assert.equal(res.status, 404);
  });
});
