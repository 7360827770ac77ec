import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingClientCertificate, type Client } from '../client/index.js';
import { ClientCertificateRotation, rotationDeadline } from './certificate-rotation.js';

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
  const rotation = new ClientCertificateRotation({ client, nodeName: 'n', certificate: new RotatingClientCertificate(pair.certPem, pair.keyPem), now: () => now, rotationFraction: () => 0.75 });
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
