import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ensureClusterPki, identityFromCertificate, issueClientCertificate, type ClusterPki } from './index.js';

function temporaryDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Seen {
  authorized: boolean;
  authorizationError?: string;
  identity?: { user: string; groups: string[] };
}

/** A server configured as the apiserver is: asks for a client certificate, lets authentication decide. */
async function withServer<T>(pki: ClusterPki, fn: (port: number) => Promise<T>): Promise<T> {
  const server = https.createServer(
    { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const seen: Seen = {
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
        identity: socket.authorized ? identityFromCertificate(socket.getPeerCertificate()) : undefined,
      };
      res.end(JSON.stringify(seen));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function request(port: number, options: { ca: string; cert?: string; key?: string; servername?: string }): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/', agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body) as Seen));
    });
    req.on('error', reject);
  });
}

test('first start creates a CA, a serving and an admin certificate the TLS stack accepts', async (t) => {
  const dir = temporaryDir(t);
  const started = performance.now();
  const pki = await ensureClusterPki(dir, { hosts: ['127.0.0.1'] });
  t.diagnostic(`fresh ensureClusterPki: ${(performance.now() - started).toFixed(1)} ms`);

  const ca = new X509Certificate(pki.caCertPem);
  assert.equal(ca.subject, 'CN=skiff-ca');
  assert.ok(ca.ca);
  const tenYears = new Date(ca.validTo).getTime() - Date.now();
  assert.ok(tenYears > 3640 * 86_400_000, `CA valid until ${ca.validTo}`);

  const admin = new X509Certificate(pki.adminCertPem);
  assert.equal(admin.subject, 'O=system:masters\nCN=skiff-admin');
  assert.deepEqual(admin.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  const serving = new X509Certificate(pki.serverCertPem);
  assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1']);

  await withServer(pki, async (port) => {
    const seen = await request(port, { ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem, servername: 'localhost' });
    assert.equal(seen.authorized, true);
    assert.deepEqual(seen.identity, { user: 'skiff-admin', groups: ['system:masters'] });
    // The client verified the server by IP too (no servername: Node checks the 127.0.0.1 SAN).
    const byAddress = await request(port, { ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem });
    assert.equal(byAddress.authorized, true);
  });

  for (const name of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', hostname().toLowerCase()]) {
    assert.ok(serving.checkHost(name, { subject: 'never' }), `serving certificate lacks DNS SAN ${name}`);
  }
  for (const ip of ['127.0.0.1', '::1', '10.43.0.1']) assert.ok(serving.checkIP(ip), `serving certificate lacks IP SAN ${ip}`);
});

test('a certificate from another CA is not authorized', async (t) => {
  const pki = await ensureClusterPki(temporaryDir(t), { hosts: [] });
  const stranger = await ensureClusterPki(temporaryDir(t), { hosts: [] });
  assert.notEqual(pki.caCertPem, stranger.caCertPem);
  await withServer(pki, async (port) => {
    const seen = await request(port, { ca: pki.caCertPem, cert: stranger.adminCertPem, key: stranger.adminKeyPem, servername: 'localhost' });
    assert.equal(seen.authorized, false);
    assert.match(seen.authorizationError ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|self.signed/i);
    assert.equal(seen.identity, undefined);
  });
});

test('a second start reuses every file without rewriting it', async (t) => {
  const dir = temporaryDir(t);
  const first = await ensureClusterPki(dir, { hosts: ['127.0.0.1'] });
  const before = statSync(join(dir, 'pki', 'apiserver.crt')).mtimeMs;
  const started = performance.now();
  const second = await ensureClusterPki(dir, { hosts: ['127.0.0.1'] });
  t.diagnostic(`reuse ensureClusterPki: ${(performance.now() - started).toFixed(1)} ms`);
  assert.deepEqual(second, first);
  assert.equal(statSync(join(dir, 'pki', 'apiserver.crt')).mtimeMs, before);
});

test('private keys are readable by the owner only', async (t) => {
  const dir = temporaryDir(t);
  await ensureClusterPki(dir, { hosts: [] });
  for (const key of ['ca.key', 'apiserver.key', 'admin.key']) assert.equal(statSync(join(dir, 'pki', key)).mode & 0o777, 0o600, key);
  assert.equal(statSync(join(dir, 'pki')).mode & 0o777, 0o700);
});

test('the serving certificate is reissued when a requested name is missing, the CA and admin stay', async (t) => {
  const dir = temporaryDir(t);
  const first = await ensureClusterPki(dir, { hosts: ['127.0.0.1'] });
  const second = await ensureClusterPki(dir, { hosts: ['127.0.0.1', '192.0.2.7', 'skiff.example.test'] });
  assert.notEqual(second.serverCertPem, first.serverCertPem);
  assert.equal(second.caCertPem, first.caCertPem);
  assert.equal(second.adminCertPem, first.adminCertPem);
  const serving = new X509Certificate(second.serverCertPem);
  assert.ok(serving.checkIP('192.0.2.7'));
  assert.ok(serving.checkHost('skiff.example.test', { subject: 'never' }));
  assert.ok(serving.checkIssued(new X509Certificate(first.caCertPem)));
  // Asking for a subset of what it already carries changes nothing.
  const third = await ensureClusterPki(dir, { hosts: ['skiff.example.test'] });
  assert.equal(third.serverCertPem, second.serverCertPem);
});

test('a damaged leaf is reissued; a damaged CA replaces everything', async (t) => {
  const dir = temporaryDir(t);
  const first = await ensureClusterPki(dir, { hosts: [] });
  writeFileSync(join(dir, 'pki', 'admin.key'), 'garbage');
  const second = await ensureClusterPki(dir, { hosts: [] });
  assert.equal(second.caCertPem, first.caCertPem);
  assert.notEqual(second.adminCertPem, first.adminCertPem);
  assert.equal(second.serverCertPem, first.serverCertPem);

  writeFileSync(join(dir, 'pki', 'ca.crt'), first.serverCertPem);
  const third = await ensureClusterPki(dir, { hosts: [] });
  assert.notEqual(third.caCertPem, first.caCertPem);
  assert.ok(new X509Certificate(third.serverCertPem).checkIssued(new X509Certificate(third.caCertPem)));
  assert.ok(new X509Certificate(third.adminCertPem).checkIssued(new X509Certificate(third.caCertPem)));
});

test('issueClientCertificate signs certificates the server accepts with their identity', async (t) => {
  const pki = await ensureClusterPki(temporaryDir(t), { hosts: [] });
  const node = await issueClientCertificate(pki, { commonName: 'system:node:worker-1', organizations: ['system:nodes', 'skiff:agents'], days: 30 });
  const cert = new X509Certificate(node.certPem);
  assert.ok(new Date(cert.validTo).getTime() - Date.now() <= 30 * 86_400_000);
  await withServer(pki, async (port) => {
    const seen = await request(port, { ca: pki.caCertPem, cert: node.certPem, key: node.keyPem, servername: 'localhost' });
    assert.equal(seen.authorized, true);
    assert.deepEqual(seen.identity, { user: 'system:node:worker-1', groups: ['system:nodes', 'skiff:agents'] });
  });
});

test('identityFromCertificate: no certificate or no CN is no identity', () => {
  assert.equal(identityFromCertificate({} as never), undefined);
  assert.equal(identityFromCertificate({ subject: { O: 'x' } } as never), undefined);
  assert.deepEqual(identityFromCertificate({ subject: { CN: 'u' } } as never), { user: 'u', groups: [] });
});
