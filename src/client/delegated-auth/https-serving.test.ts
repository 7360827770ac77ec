/**
 * The guard and the component server on real HTTPS on loopback, with a CA
 * made for the test: a client certificate, a bearer token and nothing at
 * all, answered 200, 401 and 403 in the kubelet's words and in the
 * generic apiserver's; upgrades refused before they happen; reviews cached.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { delegatedAuthenticator } from './authenticate.js';
import { delegatedAuthorizer, componentAuthorizationCacheTtls } from './authorize.js';
import { componentAlwaysAllowPaths } from './component-attributes.js';
import { PortInUseError, startComponentServer, type ComponentServer } from './component-server.js';
import { componentAuth, guardRequest, guardUpgrade, kubeletAuth } from './guard.js';
import { delegatedAuthenticationMetrics, delegatedAuthorizationMetrics } from './metrics.js';
import { fakeReviewer, type FakeReviewer } from './testing.js';

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => spawnSync(path, ['--version']).status === 0);

interface Pki {
  ca: CertificateAndKey;
  serving: CertificateAndKey;
  alice: CertificateAndKey;
  admin: CertificateAndKey;
  /** Signed by a CA the TLS server trusts but the authenticator does not. */
  otherCaClient: CertificateAndKey;
  otherCa: CertificateAndKey;
  /** Signed by a CA nobody here trusts. */
  stranger: CertificateAndKey;
}

interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

/** Certificates made with openssl (src/client may not use the apiserver's PKI code, even in tests). */
function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-delegated-auth-'));
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  let serial = 0;
  const authority = (name: string): CertificateAndKey => {
    openssl(['req', '-x509', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`, '-days', '1', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
    return { certPem: read(`${name}.crt`), keyPem: read(`${name}.key`) };
  };
  const leaf = (ca: string, subject: string, extensions: string): CertificateAndKey => {
    const name = `leaf-${++serial}`;
    writeFileSync(join(dir, `${name}.ext`), `keyUsage=critical,digitalSignature\n${extensions}\n`);
    openssl(['req', '-new', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(1000 + serial), '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
    return { certPem: read(`${name}.crt`), keyPem: read(`${name}.key`) };
  };
  const client = (ca: string, subject: string) => leaf(ca, subject, 'extendedKeyUsage=clientAuth');
  try {
    const [ca, otherCa] = [authority('test-ca'), authority('other-ca'), authority('unknown-ca')];
    return {
      ca,
      otherCa,
      serving: leaf('test-ca', '/CN=worker-1', 'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost'),
      alice: client('test-ca', '/O=devs/CN=alice'),
      admin: client('test-ca', '/O=system:masters/CN=skiff-admin'),
      otherCaClient: client('other-ca', '/O=devs/CN=alice'),
      stranger: client('unknown-ca', '/O=devs/CN=alice'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  upgraded?: boolean;
}

interface Call {
  method?: string;
  token?: string;
  cert?: CertificateAndKey;
  headers?: Record<string, string>;
}

function call(pki: Pki, port: number, path: string, { method = 'GET', token, cert, headers = {} }: Call = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, method, ca: pki.ca.certPem, cert: cert?.certPem, key: cert?.keyPem, agent: false, headers: { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode!, headers: res.headers, body: '', upgraded: true });
    });
    req.on('error', reject);
    req.end();
  });
}

const prometheus = { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts', 'system:serviceaccounts:monitoring'] };

/** RBAC as the fake apiserver has it: prometheus reads node metrics and /metrics; alice may proxy (exec) on the node. */
function reviewer(): FakeReviewer {
  return fakeReviewer({
    tokens: { 'prometheus-token': prometheus },
    decide: (spec) => {
      const resource = spec.resourceAttributes;
      if (spec.user === prometheus.username) return { allowed: resource ? resource.subresource === 'metrics' && resource.verb === 'get' : spec.nonResourceAttributes?.path === '/metrics' };
      if (spec.user === 'alice') return { allowed: resource?.subresource === 'proxy' || resource?.subresource === 'metrics', reason: 'RBAC: allowed by RoleBinding' };
      return { allowed: false };
    },
  });
}

describe('the node agent guard (kubelet wording)', () => {
  let pki: Pki;
  let fake: FakeReviewer;
  let server: https.Server;
  let port: number;
  const served: string[] = [];

  before(async () => {
    pki = makePki();
    fake = reviewer();
    const auth = kubeletAuth({
      nodeName: 'worker-1',
      authenticator: delegatedAuthenticator({ client: fake.client, caPem: pki.ca.certPem }),
      authorizer: delegatedAuthorizer({ client: fake.client }),
    });
    // The TLS layer trusts both CAs (verification happens there); the authenticator only the cluster's.
    server = https.createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem, ca: [pki.ca.certPem, pki.otherCa.certPem], requestCert: true, rejectUnauthorized: false }, async (req, res) => {
      const user = await guardRequest(req, res, auth);
      if (!user) return;
      served.push(`${user.username} ${req.url}`);
      res.end('# metrics\n');
    });
    server.on('upgrade', async (req, socket) => {
      if (!(await guardUpgrade(req, socket, auth))) return;
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses an anonymous scrape with the kubelet 403', async () => {
    const answer = await call(pki, port, '/metrics/cadvisor');
    assert.equal(answer.status, 403);
    assert.equal(answer.body, 'Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource(s)=[metrics])\n');
    assert.match(String(answer.headers['content-type']), /^text\/plain/);
  });

  it('answers 401 Unauthorized to a token the apiserver does not know', async () => {
    const answer = await call(pki, port, '/metrics', { token: 'forged' });
    assert.deepEqual([answer.status, answer.body], [401, 'Unauthorized']);
  });

  it('serves a service account scraping with its token, asking the apiserver once for both reviews', async () => {
    const before = [fake.tokenReviews.length, fake.accessReviews.length];
    for (let i = 0; i < 3; i++) assert.equal((await call(pki, port, '/metrics', { token: 'prometheus-token' })).status, 200);
    assert.deepEqual([fake.tokenReviews.length - before[0], fake.accessReviews.length - before[1]], [1, 1]);
    assert.deepEqual(fake.accessReviews.at(-1)!.spec, {
      resourceAttributes: { verb: 'get', version: 'v1', resource: 'nodes', subresource: 'metrics', name: 'worker-1' },
      user: prometheus.username,
      groups: [...prometheus.groups, 'system:authenticated'],
    });
    // The same token is not allowed to read logs.
    const logs = await call(pki, port, '/containerLogs/default/web/app', { token: 'prometheus-token' });
    assert.deepEqual([logs.status, logs.body], [403, `Forbidden (user=${prometheus.username}, verb=get, resource=nodes, subresource(s)=[proxy])\n`]);
  });

  it('takes a client certificate of the cluster CA as CN user in O groups', async () => {
    assert.equal((await call(pki, port, '/metrics', { cert: pki.alice })).status, 200);
    const spec = fake.accessReviews.at(-1)!.spec;
    assert.equal(spec.user, 'alice');
    assert.deepEqual(spec.groups, ['devs', 'system:authenticated']);
    assert.match(spec.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '', /^X509SHA256=[0-9a-f]{64}$/);
  });

  it('lets system:masters in without a review', async () => {
    const before = fake.accessReviews.length;
    assert.equal((await call(pki, port, '/pods', { cert: pki.admin })).status, 200);
    assert.equal(fake.accessReviews.length, before);
  });

  it('refuses (401) a certificate the TLS layer verified against another CA, and one nobody signed that it trusts', async () => {
    for (const cert of [pki.otherCaClient, pki.stranger]) assert.deepEqual(await call(pki, port, '/metrics', { cert }).then((a) => [a.status, a.body]), [401, 'Unauthorized']);
  });

  it('refuses an upgrade before it happens (exec is nodes/proxy), and lets an allowed one through', async () => {
    const upgrade = { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } };
    const refused = await call(pki, port, '/exec/default/web/app?command=sh', upgrade);
    assert.deepEqual([refused.status, refused.body, refused.upgraded], [403, 'Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource(s)=[proxy])\n', undefined]);
    const forged = await call(pki, port, '/exec/default/web/app?command=sh', { ...upgrade, token: 'forged' });
    assert.deepEqual([forged.status, forged.body], [401, 'Unauthorized']);
    const allowed = await call(pki, port, '/exec/default/web/app?command=sh', { ...upgrade, cert: pki.alice });
    assert.deepEqual([allowed.status, allowed.upgraded], [101, true]);
  });

  it('answers 500 when the review cannot be made', async () => {
    fake.failing = true;
    try {
      const answer = await call(pki, port, '/stats/summary', { cert: pki.alice });
      assert.deepEqual([answer.status, answer.body], [500, 'Authorization error (user=alice, verb=get, resource=nodes, subresource=stats)']);
    } finally {
      fake.failing = false;
    }
  });
});

describe('startComponentServer (generic apiserver wording)', () => {
  let pki: Pki;
  let fake: FakeReviewer;
  let component: ComponentServer;
  const registry = new Registry();

  before(async () => {
    pki = makePki();
    fake = reviewer();
    const auth = componentAuth({
      authenticator: delegatedAuthenticator({ client: fake.client, caPem: pki.ca.certPem, metrics: delegatedAuthenticationMetrics(registry) }),
      authorizer: delegatedAuthorizer({ client: fake.client, ...componentAuthorizationCacheTtls, alwaysAllowPaths: componentAlwaysAllowPaths, metrics: delegatedAuthorizationMetrics(registry) }),
    });
    component = await startComponentServer({
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, caPem: pki.ca.certPem },
      host: '127.0.0.1',
      port: 0,
      auth,
      routes: { '/metrics': (_req, res) => void res.end('scheduler_pending_pods 0\n') },
    });
  });
  after(() => component.close());

  it('answers health checks to anyone, without a review', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) assert.deepEqual(await call(pki, component.port, path).then((a) => [a.status, a.body]), [200, 'ok']);
    assert.equal(fake.accessReviews.length, 0);
  });

  it('refuses an anonymous scrape with a Forbidden Status', async () => {
    const answer = await call(pki, component.port, '/metrics');
    assert.equal(answer.status, 403);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(answer.body), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'forbidden: User "system:anonymous" cannot get path "/metrics"',
      reason: 'Forbidden',
      details: {},
      code: 403,
    });
  });

  it('refuses a bad token with an Unauthorized Status, even on /healthz', async () => {
    const answer = await call(pki, component.port, '/healthz', { token: 'forged' });
    assert.equal(answer.status, 401);
    assert.deepEqual(JSON.parse(answer.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  });

  it('serves /metrics to the token allowed to get it, and 404 for paths it has no route for', async () => {
    assert.deepEqual(await call(pki, component.port, '/metrics', { token: 'prometheus-token' }).then((a) => [a.status, a.body]), [200, 'scheduler_pending_pods 0\n']);
    assert.deepEqual(await call(pki, component.port, '/metrics', { cert: pki.admin }).then((a) => [a.status, a.body]), [200, 'scheduler_pending_pods 0\n']);
    assert.deepEqual(await call(pki, component.port, '/configz', { cert: pki.admin }).then((a) => [a.status, a.body]), [404, '404 page not found\n']);
    const refused = await call(pki, component.port, '/metrics', { cert: pki.alice });
    assert.equal(JSON.parse(refused.body).message, 'forbidden: User "alice" cannot get path "/metrics": RBAC: allowed by RoleBinding');
  });

  it('answers 500 in the generic apiserver words when the review cannot be made', async () => {
    fake.failing = true;
    try {
      const answer = await call(pki, component.port, '/debug/flags/v', { cert: pki.alice, method: 'PUT' });
      assert.equal(answer.status, 500);
      assert.equal(answer.body, 'Internal Server Error: "/debug/flags/v": connect ECONNREFUSED 127.0.0.1:6443\n');
    } finally {
      fake.failing = false;
    }
  });

  it('says plainly that a port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const starting = startComponentServer({ tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, caPem: pki.ca.certPem }, host: '127.0.0.1', port: taken, auth: componentAuth({ authenticator: delegatedAuthenticator({ client: fake.client }), authorizer: delegatedAuthorizer({ client: fake.client }) }), routes: {} });
      await assert.rejects(starting, (err: unknown) => err instanceof PortInUseError && err.message === `port ${taken} is in use` && err.code === 'EADDRINUSE');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('counts its reviews under upstream names, which promtool accepts', { skip: promtool ? false : 'needs promtool (Debian prometheus)' }, async () => {
    const text = await registry.metrics();
    assert.match(text, /apiserver_delegated_authn_request_total\{code="201"\} \d+/);
    assert.match(text, /apiserver_delegated_authz_request_total\{code="<error>"\} 1/);
    assert.match(text, /apiserver_delegated_authz_request_duration_seconds_bucket\{le="0.25",code="201"\}/);
    const check = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), '');
  });
});
