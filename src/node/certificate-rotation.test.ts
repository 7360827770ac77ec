import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingClientCertificate, type Client } from '../client/index.js';
import { CertificateRotation, rotationDeadline } from './certificate-rotation.js';
import { parseCertificateRequest } from '../api/certificates/index.js';

function selfSigned(days: number): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rotation-'));
  try {
    const certPem = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k'), '-subj', '/CN=system:node:n', '-days', String(days)], {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return { certPem, keyPem: execFileSync('cat', [join(dir, 'k')], { encoding: 'utf8' }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the renewal deadline is the given fraction of the lifetime', () => {
  const { certPem } = selfSigned(10);
  const start = rotationDeadline(certPem, 0).getTime();
  const end = rotationDeadline(certPem, 1).getTime();
  assert.ok(Math.abs(end - start - 10 * 86_400_000) < 2000);
  assert.equal(rotationDeadline(certPem, 0.8).getTime(), start + Math.round((end - start) * 0.8));
});

test('before the deadline a round only waits, and asks nothing of the apiserver; at the clock of the deadline it asks', async () => {
  const pair = selfSigned(10);
  let now = new Date();
  const calls: string[] = [];
  const client = { resource: () => ({ create: async (object: unknown) => (calls.push('create'), { ...(object as object), metadata: { name: 'csr-1' } }), find: async () => undefined }) } as unknown as Client;
  const rotation = new CertificateRotation({ client, nodeName: 'n', certificate: new RotatingClientCertificate(pair.certPem, pair.keyPem), now: () => now, rotationFraction: () => 0.75 });
  const waitMs = await rotation.round();
  const expected = rotationDeadline(pair.certPem, 0.75).getTime() - now.getTime();
  assert.equal(waitMs, expected);
  assert.deepEqual(calls, []);
  now = new Date(now.getTime() + waitMs);
  await rotation.round();
  assert.deepEqual(calls, ['create']);
  // The request vanished: the round fails, and the queue's backoff starts a new one.
  await assert.rejects(rotation.round(), /was deleted/);
});

test('the serving certificate is asked of kubelet-serving with the node names, and taken once issued', async () => {
  const pair = selfSigned(1);
  const created: { spec: { signerName: string; usages: string[]; request: string } }[] = [];
  const issued = selfSigned(30);
  let status: { certificate?: string; conditions?: { type: string; status: string }[] } = {};
  const client = {
    resource: () => ({
      create: async (object: (typeof created)[number]) => (created.push(object), { ...object, metadata: { name: 'csr-s' } }),
      find: async () => ({ metadata: { name: 'csr-s' }, spec: created[0].spec, status }),
    }),
  } as unknown as Client;
  const certificate = new RotatingClientCertificate(pair.certPem, pair.keyPem);
  const rotation = new CertificateRotation({
    client,
    nodeName: 'n',
    certificate,
    serving: { dnsNames: ['n'], ipAddresses: ['192.0.2.9'] },
    now: () => new Date(Date.now() + 86_400_000),
    rotationFraction: () => 0.8,
  });
  await rotation.round();
  assert.equal(created[0].spec.signerName, 'kubernetes.io/kubelet-serving');
  assert.deepEqual(created[0].spec.usages, ['digital signature', 'server auth']);
  const parsed = parseCertificateRequest(Buffer.from(created[0].spec.request, 'base64').toString('utf8'));
  assert.deepEqual([parsed.commonName, parsed.organizations, parsed.dnsNames, parsed.ipAddresses], ['system:node:n', ['system:nodes'], ['n'], ['192.0.2.9']]);
  // Pending: no change; issued: the certificate switches.
  assert.ok((await rotation.round()) > 0);
  assert.equal(certificate.certPem, pair.certPem);
  status = { conditions: [{ type: 'Approved', status: 'True' }], certificate: Buffer.from(issued.certPem).toString('base64') };
  let switched = 0;
  certificate.onChange(() => switched++);
  await rotation.round();
  assert.equal(certificate.certPem, issued.certPem);
  assert.equal(switched, 1);
});

test("the agent's endpoint presents a renewed serving certificate to new connections", async () => {
  const { startNodeServer } = await import('./server.js');
  const tls = await import('node:tls');
  const first = selfSigned(1);
  const second = selfSigned(2);
  const rotating = new RotatingClientCertificate(first.certPem, first.keyPem);
  const server = await startNodeServer({ ...first, caPem: first.certPem, rotating }, '127.0.0.1', 0, () => []);
  const presented = () =>
    new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }, () => {
        resolve(socket.getPeerX509Certificate()!.validTo);
        socket.destroy();
      });
      socket.on('error', reject);
    });
  try {
    const before = await presented();
    rotating.update(second.certPem, second.keyPem);
    const after = await presented();
    assert.notEqual(after, before);
    assert.equal(after, new (await import('node:crypto')).X509Certificate(second.certPem).validTo);
  } finally {
    await server.close();
  }
});
