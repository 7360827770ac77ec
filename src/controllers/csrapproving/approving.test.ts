import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCertificateRequest, type CertificateSigningRequest } from '../../api/certificates/index.js';
import { certificateDurationMs } from '../csrsigning/controller.js';
import { autoApproval } from './controller.js';

const kubeletClient = 'kubernetes.io/kube-apiserver-client-kubelet';

function request(commonName: string, organizations: string[], requester: { username: string; groups: string[] }, signerName = kubeletClient, usages = ['digital signature', 'client auth']): CertificateSigningRequest {
  const { requestPem } = createCertificateRequest({ commonName, organizations });
  return { metadata: { name: 'r' }, spec: { request: Buffer.from(requestPem).toString('base64'), signerName, usages, ...requester } };
}

test('which requests csrapproving approves', () => {
  const node = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  const bootstrapper = { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:authenticated'] };
  const person = { username: 'alice', groups: ['system:masters'] };
  const cases: [string, CertificateSigningRequest, RegExp | undefined][] = [
    ['a node renewing its own', request('system:node:n1', ['system:nodes'], node), /self kubelet client certificate/],
    ['a node asking for another name', request('system:node:n2', ['system:nodes'], node), undefined],
    ['a bootstrapping node', request('system:node:n9', ['system:nodes'], bootstrapper), /Auto approving kubelet client certificate/],
    ['a person, even an admin', request('system:node:n1', ['system:nodes'], person), undefined],
    ['not a node subject', request('n1', ['system:nodes'], node), undefined],
    ['serving usages', request('system:node:n1', ['system:nodes'], node, kubeletClient, ['server auth']), undefined],
    ['another signer', request('system:node:n1', ['system:nodes'], node, 'kubernetes.io/kube-apiserver-client'), undefined],
  ];
  for (const [name, csr, expected] of cases) {
    const message = autoApproval(csr);
    if (expected) assert.match(message ?? '', expected, name);
    else assert.equal(message, undefined, name);
  }
});

test('the certificate lasts the cluster duration, or expirationSeconds when shorter', () => {
  const csr = request('a', [], { username: 'a', groups: [] }, 'kubernetes.io/kube-apiserver-client');
  const year = 365 * 86_400_000;
  assert.equal(certificateDurationMs(csr, year), year);
  assert.equal(certificateDurationMs({ ...csr, spec: { ...csr.spec, expirationSeconds: 3600 } }, year), 3600_000);
  assert.equal(certificateDurationMs({ ...csr, spec: { ...csr.spec, expirationSeconds: 2 * 365 * 86_400 } }, year), year);
});
