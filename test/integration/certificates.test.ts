/**
 * CertificateSigningRequests against a real apiserver with the csrsigning and
 * csrapproving controllers: approval through `/approval`, signing by the
 * cluster CA, denial, and a node's own renewal approved automatically.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createCertificateRequest, type CertificateSigningRequest } from '../../src/api/certificates/index.js';
import { issueClientCertificate, signCertificateRequest } from '../../src/apiserver/pki/index.js';
import { Client, RotatingClientCertificate } from '../../src/client/index.js';
import { CertificateRotation, rotationDeadline } from '../../src/node/index.js';
import { certificateSigningRequestsResource } from '../../src/client/builtin-resources.js';
import { eventually, startControllerTestCluster, type ControllerTestCluster } from './harness.js';

let cluster: ControllerTestCluster;
before(async () => {
  cluster = await startControllerTestCluster({ controllers: ['csrsigning', 'csrapproving'], playNode: false, signWithClusterCA: true });
});
after(() => cluster.close());

const b64 = (text: string) => Buffer.from(text).toString('base64');
const issuedCertificate = (csr: CertificateSigningRequest) => new X509Certificate(Buffer.from(csr.status!.certificate!, 'base64').toString('utf8'));

function decide(csr: CertificateSigningRequest, type: 'Approved' | 'Denied'): CertificateSigningRequest {
  const next = structuredClone(csr);
  next.status = { ...next.status, conditions: [...(next.status?.conditions ?? []), { type, status: 'True', reason: 'KubectlApprove', message: 'by the test' }] };
  return next;
}

describe('certificate signing requests', () => {
  it('an approved kube-apiserver-client request gets a certificate from the cluster CA with its subject, usages and expiry', async () => {
    const requests = cluster.client.resource<CertificateSigningRequest>(certificateSigningRequestsResource);
    const { requestPem } = createCertificateRequest({ commonName: 'alice', organizations: ['devs'] });
    const created = await requests.create({
      metadata: { name: 'alice' },
      spec: { request: b64(requestPem), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'client auth'], expirationSeconds: 3600, username: 'mallory' },
    });
    // The requester is whoever the apiserver authenticated: the test's admin certificate.
    assert.equal(created.spec.username, 'skiff-admin');
    assert.ok(created.spec.groups?.includes('system:masters'));
    // Not approved: nothing is signed (and the approver leaves a user's request alone).
    const pending = await requests.get(undefined, 'alice');
    assert.equal(pending.status?.certificate, undefined);

    const approved = await requests.updateSubresource(decide(pending, 'Approved'), 'approval');
    assert.equal(approved.status?.conditions?.[0].type, 'Approved');
    assert.ok(approved.status?.conditions?.[0].lastUpdateTime);
    const signed = await eventually(() => requests.get(undefined, 'alice'), (c) => !!c.status?.certificate, 'a certificate for alice');
    const cert = issuedCertificate(signed);
    assert.equal(cert.subject, 'O=devs\nCN=alice');
    assert.ok(cert.checkIssued(new X509Certificate(cluster.api.pki.caCertPem)));
    assert.ok(cert.verify(new X509Certificate(cluster.api.pki.caCertPem).publicKey));
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    const lifetimeMs = Date.parse(cert.validTo) - Date.now();
    assert.ok(lifetimeMs <= 3600_000 && lifetimeMs > 3000_000, `valid until ${cert.validTo}`);

    // The signer may not change an issued certificate, and approval cannot be taken back.
    const rewrite = await requests.updateStatus({ ...signed, status: { ...signed.status, certificate: b64('x') } }).catch((err: Error) => err);
    assert.match(String(rewrite), /updates may not modify existing certificate content|CERTIFICATE/);
  });

  it('a denied request gets no certificate', async () => {
    const requests = cluster.client.resource<CertificateSigningRequest>(certificateSigningRequestsResource);
    const { requestPem } = createCertificateRequest({ commonName: 'bob' });
    const created = await requests.create({ metadata: { name: 'bob' }, spec: { request: b64(requestPem), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] } });
    const denied = await requests.updateSubresource(decide(created, 'Denied'), 'approval');
    assert.deepEqual(denied.status?.conditions?.map((c) => c.type), ['Denied']);
    // Approving a denied request is refused: the two are exclusive.
    const both = await requests.updateSubresource(decide(denied, 'Approved'), 'approval').catch((err: Error) => err);
    assert.match(String(both), /mutually exclusive/);
    // Approve one more request after it and wait until that is signed: the controller has seen bob by then.
    const { requestPem: other } = createCertificateRequest({ commonName: 'carol' });
    const carol = await requests.create({ metadata: { name: 'carol' }, spec: { request: b64(other), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] } });
    await requests.updateSubresource(decide(carol, 'Approved'), 'approval');
    await eventually(() => requests.get(undefined, 'carol'), (c) => !!c.status?.certificate, 'carol signed');
    assert.equal((await requests.get(undefined, 'bob')).status?.certificate, undefined);
  });

  it('a request its signer refuses is marked Failed', async () => {
    const requests = cluster.client.resource<CertificateSigningRequest>(certificateSigningRequestsResource);
    const { requestPem } = createCertificateRequest({ commonName: 'dave', organizations: ['devs'] });
    const created = await requests.create({ metadata: { name: 'dave' }, spec: { request: b64(requestPem), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['client auth'] } });
    await requests.updateSubresource(decide(created, 'Approved'), 'approval');
    const failed = await eventually(() => requests.get(undefined, 'dave'), (c) => !!c.status?.conditions?.some((x) => x.type === 'Failed'), 'dave failed');
    const condition = failed.status!.conditions!.find((c) => c.type === 'Failed')!;
    assert.equal(condition.reason, 'SignerValidationFailure');
    assert.match(condition.message ?? '', /organization is not system:nodes/);
    assert.equal(failed.status?.certificate, undefined);
  });

  it("a node's request for its own client certificate is approved and signed", async () => {
    const pki = { ...cluster.api.pki, dir: '', serverCertPem: '', serverKeyPem: '' };
    const nodeCert = await issueClientCertificate(pki, { commonName: 'system:node:n1', organizations: ['system:nodes'] });
    const nodeClient = new Client({ server: cluster.api.url, caPem: cluster.api.pki.caCertPem, certPem: nodeCert.certPem, keyPem: nodeCert.keyPem });
    try {
      const requests = nodeClient.resource<CertificateSigningRequest>(certificateSigningRequestsResource);
      const { requestPem } = createCertificateRequest({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
      await requests.create({ metadata: { name: 'node-n1' }, spec: { request: b64(requestPem), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] } });
      const signed = await eventually(() => requests.get(undefined, 'node-n1'), (c) => !!c.status?.certificate, 'the node certificate');
      const approval = signed.status!.conditions!.find((c) => c.type === 'Approved')!;
      assert.equal(approval.reason, 'AutoApproved');
      assert.match(approval.message ?? '', /self kubelet client certificate/);
      assert.equal(issuedCertificate(signed).subject, 'O=system:nodes\nCN=system:node:n1');

      // Another node's name is not approved automatically.
      const { requestPem: other } = createCertificateRequest({ commonName: 'system:node:n2', organizations: ['system:nodes'] });
      await requests.create({ metadata: { name: 'node-n2-by-n1' }, spec: { request: b64(other), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['client auth'] } });
      const { requestPem: third } = createCertificateRequest({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
      await requests.create({ metadata: { name: 'node-n1-again' }, spec: { request: b64(third), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['client auth'] } });
      await eventually(() => requests.get(undefined, 'node-n1-again'), (c) => !!c.status?.certificate, 'the second node certificate');
      assert.equal((await requests.get(undefined, 'node-n2-by-n1')).status?.conditions, undefined);
    } finally {
      nodeClient.close();
    }
  });

  it('a node agent renews its short-lived client certificate through a CSR and switches to it', async () => {
    const ca = { certPem: cluster.api.pki.caCertPem, keyPem: cluster.api.pki.caKeyPem };
    const first = createCertificateRequest({ commonName: 'system:node:n3', organizations: ['system:nodes'] });
    // One minute (and the five minutes every certificate is back-dated): past 70% of its lifetime already.
    const shortLived = await signCertificateRequest(ca, { requestPem: first.requestPem, usages: ['client auth'], durationMs: 60_000, now: new Date() });
    assert.ok(rotationDeadline(shortLived, 0.7).getTime() <= Date.now());
    const certificate = new RotatingClientCertificate(shortLived, first.keyPem);
    const nodeClient = new Client({ server: cluster.api.url, caPem: ca.certPem, rotatingCertificate: certificate });
    const stop = new AbortController();
    const saved: string[] = [];
    const rotation = new CertificateRotation({ client: nodeClient, nodeName: 'n3', certificate, pollIntervalMs: 100, rotationFraction: () => 0.7, onRotated: (certPem) => saved.push(certPem) });
    const running = rotation.run(stop.signal);
    try {
      await eventually(() => certificate.certPem, (pem) => pem !== shortLived, 'a renewed certificate');
      const renewed = new X509Certificate(certificate.certPem);
      assert.equal(renewed.subject, 'O=system:nodes\nCN=system:node:n3');
      assert.ok(renewed.verify(new X509Certificate(ca.certPem).publicKey));
      assert.ok(Date.parse(renewed.validTo) - Date.now() > 300 * 86_400_000, `the cluster's default year: ${renewed.validTo}`);
      assert.deepEqual(saved, [certificate.certPem]);
      // The request was the node's own, approved automatically; the client now talks with the new certificate.
      const requests = nodeClient.resource<CertificateSigningRequest>(certificateSigningRequestsResource);
      const mine = (await requests.list()).items.filter((c) => c.spec.username === 'system:node:n3');
      assert.equal(mine.length, 1);
      assert.equal(mine[0].status?.conditions?.[0].reason, 'AutoApproved');
      // The next renewal is due at 70-90% of the new certificate's year, not now.
      assert.ok(rotationDeadline(certificate.certPem, 0.7).getTime() > Date.now() + 200 * 86_400_000);
    } finally {
      stop.abort();
      await running;
      nodeClient.close();
    }
  });
});
