/**
 * CertificateSigningRequests with the real kubectl: `kubectl create -f` a
 * request made by openssl, `kubectl certificate approve`, and the cluster CA's
 * certificate read back with `-o jsonpath`; `kubectl certificate deny`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, waitFor, type Cluster } from './harness.js';

function opensslRequest(subject: string): string {
  return execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', subject], {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function manifest(name: string, requestPem: string, expirationSeconds?: number): string {
  return [
    'apiVersion: certificates.k8s.io/v1',
    'kind: CertificateSigningRequest',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  request: ${Buffer.from(requestPem).toString('base64')}`,
    '  signerName: kubernetes.io/kube-apiserver-client',
    ...(expirationSeconds ? [`  expirationSeconds: ${expirationSeconds}`] : []),
    '  usages:',
    '  - client auth',
    '',
  ].join('\n');
}

describe('certificate signing requests with kubectl', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ args: ['--runtime', 'none'] });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kubectl certificate approve: the request gets a certificate for its CN from the cluster CA', async () => {
    await cluster.kubectl(['create', '-f', '-'], { input: manifest('jane', opensslRequest('/O=devs/CN=jane'), 86400) });
    const pending = await cluster.kubectl(['get', 'csr', 'jane']);
    assert.match(pending.stdout, /NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION/);
    assert.match(pending.stdout, /jane\s+\S+\s+kubernetes.io\/kube-apiserver-client\s+skiff-admin\s+24h\s+Pending/);

    // kubectl's describer decodes the request itself.
    const described = await cluster.kubectl(['describe', 'csr', 'jane']);
    assert.match(described.stdout, /Requesting User:\s+skiff-admin/);
    assert.match(described.stdout, /Common Name:\s+jane/);
    assert.match(described.stdout, /Status:\s+Pending/);

    const approved = await cluster.kubectl(['certificate', 'approve', 'jane']);
    assert.match(approved.stdout, /certificatesigningrequest.certificates.k8s.io\/jane approved/);
    const encoded = await waitFor(async () => (await cluster.kubectl(['get', 'csr', 'jane', '-o', 'jsonpath={.status.certificate}'])).stdout.trim(), {
      message: 'the certificate of jane',
    });
    const cert = new X509Certificate(Buffer.from(encoded, 'base64'));
    assert.equal(cert.subject, 'O=devs\nCN=jane');
    const ca = new X509Certificate(readFileSync(join(cluster.dataDir, 'pki', 'ca.crt')));
    assert.ok(cert.verify(ca.publicKey), 'signed by the cluster CA');
    assert.ok(Date.parse(cert.validTo) - Date.now() <= 86400_000);
    assert.match((await cluster.kubectl(['get', 'csr', 'jane'])).stdout, /Approved,Issued/);
    const reason = (await cluster.kubectl(['get', 'csr', 'jane', '-o', 'jsonpath={.status.conditions[0].reason}'])).stdout;
    assert.equal(reason, 'KubectlApprove');
  });

  test('kubectl certificate deny: Denied, and no certificate', async () => {
    await cluster.kubectl(['create', '-f', '-'], { input: manifest('joe', opensslRequest('/CN=joe')) });
    const denied = await cluster.kubectl(['certificate', 'deny', 'joe']);
    assert.match(denied.stdout, /certificatesigningrequest.certificates.k8s.io\/joe denied/);
    assert.match((await cluster.kubectl(['get', 'csr', 'joe'])).stdout, /joe\s+.*Denied/);
    const type = (await cluster.kubectl(['get', 'csr', 'joe', '-o', 'jsonpath={.status.conditions[0].type}'])).stdout;
    assert.equal(type, 'Denied');
    // Once denied it cannot be approved (kubectl checks first; the apiserver refuses the pair too, see the integration test).
    const again = await cluster.kubectl(['certificate', 'approve', 'joe', '--force'], { allowFailure: true });
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already Denied|mutually exclusive/);
    assert.equal((await cluster.kubectl(['get', 'csr', 'joe', '-o', 'jsonpath={.status.certificate}'])).stdout, '');
  });

  test('a request that is not a certificate request is refused with upstream\'s message', async () => {
    const bad = await cluster.kubectl(['create', '-f', '-'], { input: manifest('broken', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), allowFailure: true });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec.request: Invalid value: .*PEM block type must be CERTIFICATE REQUEST/);
  });
});
