/**
 * The apiserver's protections against clients that hold too much of it,
 * against an in-process apiserver with small limits: max-in-flight (429 and
 * Retry-After), the request timeout (504), the TLS handshake and first-request
 * deadlines, and the connection cap that still lets a new client in.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import type { AdmissionPlugin } from '../../src/apiserver/admission/chain.js';
import { issueClientCertificate } from '../../src/apiserver/pki/index.js';
import type { ClusterPki } from '../../src/apiserver/pki/index.js';

/** Holds creates of ConfigMaps named `held-…` in admission until the test lets them go. */
function holdingPlugin() {
  const held: (() => void)[] = [];
  const arrivals: (() => void)[] = [];
  const plugin: AdmissionPlugin = {
    name: 'TestHold',
    admit: (attributes) => {
      if (attributes.operation !== 'CREATE' || !attributes.name?.startsWith('held-')) return;
      return new Promise<void>((resolve) => {
        held.push(resolve);
        for (const arrived of arrivals.splice(0)) arrived();
      });
    },
  };
  return {
    plugin,
    /** Resolves once `count` requests are being held. */
    async holding(count: number): Promise<void> {
      while (held.length < count) await new Promise<void>((resolve) => arrivals.push(resolve));
    },
    releaseAll(): void {
      for (const release of held.splice(0)) release();
    },
  };
}

/** Waits for a condition, with a deadline (no sleeping as synchronisation). */
async function eventually(check: () => boolean, what: string, deadlineMs = 20_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One request on its own connection, as a user with the given certificate. */
function requestAs(api: TestServer, cert: { certPem: string; keyPem: string }, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      { host: '127.0.0.1', port: api.port, method, path, agent: false, ca: api.pki.caCertPem, cert: cert.certPem, key: cert.keyPem, headers: payload ? { 'Content-Type': 'application/json' } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });
const configMaps = '/api/v1/namespaces/default/configmaps';

describe('max in flight', () => {
  let api: TestServer;
  let user: { certPem: string; keyPem: string };
  const hold = holdingPlugin();
  before(async () => {
    api = await startTestServer({ limits: { maxRequestsInFlight: 2, maxMutatingRequestsInFlight: 2 }, admissionPlugins: [hold.plugin] });
    // An ordinary user: system:masters is never refused, as upstream.
    user = await issueClientCertificate(api.pki as ClusterPki, { commonName: 'jane', organizations: ['developers'] });
    // RBAC lets her write ConfigMaps (the default `edit` role), so her requests reach admission.
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'developers-edit' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'developers' }],
    };
    assert.equal((await api.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding)).status, 201);
  });
  after(async () => {
    hold.releaseAll();
    await api.close();
  });

  test('a mutating request beyond the limit gets 429 TooManyRequests with Retry-After; reads, watches and system:masters are still served', async () => {
    const held = [requestAs(api, user, 'POST', configMaps, configMap('held-1')), requestAs(api, user, 'POST', configMaps, configMap('held-2'))];
    // Both reach admission — or the test says why they did not, rather than waiting forever.
    await Promise.race([hold.holding(2), Promise.all(held).then((answers) => assert.fail(`answered before admission: ${answers.map((a) => a.status).join(', ')}`))]);

    const refused = await requestAs(api, user, 'POST', configMaps, configMap('one-more'));
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.body.kind, 'Status');
    assert.equal(refused.body.reason, 'TooManyRequests');
    assert.equal(refused.body.message, 'Too many requests, please try again later.');
    assert.equal(refused.body.details.retryAfterSeconds, 1);

    // Read-only requests have their own seats; long-running watches take none.
    const watches = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<import('node:http').ClientRequest>((resolve, reject) => {
            const req = https.get({ host: '127.0.0.1', port: api.port, path: `${configMaps}?watch=true`, agent: false, ca: api.pki.caCertPem, cert: user.certPem, key: user.keyPem }, (res) => {
              assert.equal(res.statusCode, 200);
              resolve(req);
            });
            req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
          }),
      ),
    );
    assert.equal((await requestAs(api, user, 'GET', configMaps)).status, 200);
    assert.equal((await requestAs(api, user, 'GET', '/readyz')).status, 200);
    // system:masters always gets an answer.
    assert.equal((await api.request('POST', configMaps, configMap('from-admin'))).status, 201);
    for (const watch of watches) watch.destroy();

    hold.releaseAll();
    for (const answer of await Promise.all(held)) assert.equal(answer.status, 201);
    // The seats are free again.
    assert.equal((await requestAs(api, user, 'POST', configMaps, configMap('after'))).status, 201);
  });
});

describe('request timeout', () => {
  let api: TestServer;
  const hold = holdingPlugin();
  before(async () => {
    api = await startTestServer({ limits: { requestTimeoutMs: 1500 }, admissionPlugins: [hold.plugin] });
  });
  after(async () => {
    hold.releaseAll();
    await api.close();
  });

  test('a request that outlives the request timeout gets 504 Timeout; a watch is not cut by it', async () => {
    const watch = await api.watch(`${configMaps}?watch=true&resourceVersion=0`);
    const answer = await api.request('POST', configMaps, configMap('held-slow'));
    assert.equal(answer.status, 504);
    const status = answer.json();
    assert.equal(status.reason, 'Timeout');
    assert.equal(status.code, 504);
    assert.equal(status.message, 'Timeout: request did not complete within requested timeout - context deadline exceeded');

    // The late handler's answer goes nowhere; the same keep-alive connection serves the next request.
    hold.releaseAll();
    assert.equal((await api.request('POST', configMaps, configMap('quick'))).status, 201);
    // The watch, open longer than the request timeout by now, still delivers.
    for (;;) {
      const event = await watch.next(10_000);
      if (event.object.metadata.name === 'quick') break;
    }
    watch.close();
  });

  test('the timeout parameter shortens the deadline; a malformed one is 400', async () => {
    const answer = await api.request('POST', `${configMaps}?timeout=200ms`, configMap('held-short'));
    assert.equal(answer.status, 504);
    assert.equal(answer.json().reason, 'Timeout');
    hold.releaseAll();
    const bad = await api.request('GET', `${configMaps}?timeout=soon`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json().message, 'invalid timeout specified in the request URL - time: invalid duration "soon"');
  });
});

function openRaw(api: TestServer): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(api.port, '127.0.0.1', () => resolve(socket));
    socket.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
  });
}

describe('silent connections', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer({ limits: { tlsHandshakeTimeoutMs: 300, headerTimeoutMs: 500, minRequestTimeoutSeconds: 1 } });
  });
  after(() => api.close());

  test('a watch without timeoutSeconds ends after 1–2 × --min-request-timeout', async () => {
    let ended = false;
    const req = https.get(
      { host: '127.0.0.1', port: api.port, path: `${configMaps}?watch=true`, agent: false, ca: api.pki.caCertPem, cert: api.pki.adminCertPem, key: api.pki.adminKeyPem },
      (res) => {
        assert.equal(res.statusCode, 200);
        res.resume();
        res.on('end', () => (ended = true));
      },
    );
    await eventually(() => ended, 'the watch to end');
    req.destroy();
  });

  test('a TCP connection that never completes the TLS handshake is closed after the handshake timeout', async () => {
    const socket = await openRaw(api);
    let closed = false;
    socket.on('close', () => (closed = true));
    await eventually(() => closed, 'the server to close the silent connection');
  });

  test('a TLS connection that never sends a request is closed after the header timeout', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: api.port, ca: api.pki.caCertPem, cert: api.pki.adminCertPem, key: api.pki.adminKeyPem, servername: 'localhost' });
    let secure = false;
    let closed = false;
    socket.on('secureConnect', () => (secure = true));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    await eventually(() => closed, 'the server to close the connection that sent nothing');
    assert.equal(secure, true);
  });
});

describe('connection cap', () => {
  let api: TestServer;
  before(async () => {
    // Timeouts long enough that only the cap can close the idle connections here.
    api = await startTestServer({ limits: { maxConnections: 20, tlsHandshakeTimeoutMs: 120_000, headerTimeoutMs: 120_000 } });
  });
  after(() => api.close());

  test('with many idle connections held beyond the cap, a new client is still served and busy connections are kept', async () => {
    const watch = await api.watch(`${configMaps}?watch=true&resourceVersion=0`);
    const idle: net.Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < 60; i++) {
      const socket = await openRaw(api).catch(() => undefined);
      if (!socket) continue;
      socket.on('close', () => closedByServer++);
      idle.push(socket);
    }
    // The oldest idle connections made room: far fewer than 60 are still open.
    await eventually(() => closedByServer >= 60 - 20, 'the oldest idle connections to be closed');
    assert.ok(api.server.connectionStats().open <= 20);
    assert.ok(api.server.connectionStats().evicted > 0);
    const fresh = await requestAs(api, { certPem: api.pki.adminCertPem, keyPem: api.pki.adminKeyPem }, 'POST', configMaps, configMap('newcomer'));
    assert.equal(fresh.status, 201);
    // The watch was busy, not idle: it was kept and delivers the new object.
    for (;;) {
      const event = await watch.next(10_000);
      if (event.object.metadata.name === 'newcomer') break;
    }
    watch.close();
    for (const socket of idle) socket.destroy();
  });
});
