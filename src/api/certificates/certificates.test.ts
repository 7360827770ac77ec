import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  apiserverClientProblem,
  certificatesigningrequests,
  conditionSummary,
  createCertificateRequest,
  kubeletClientProblem,
  kubeletServingProblem,
  parseCertificateRequest,
  prepareApprovalUpdate,
  validateApprovalUpdate,
  validateCertificateSigningRequest,
  type CertificateSigningRequest,
} from './index.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const client = createCertificateRequest({ commonName: 'alice', organizations: ['devs'] });

function csr(spec: Partial<CertificateSigningRequest['spec']> = {}, status?: CertificateSigningRequest['status']): CertificateSigningRequest {
  return {
    metadata: { name: 'x' },
    spec: { request: b64(client.requestPem), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...spec },
    status,
  };
}

test('a request written here is one openssl verifies, with its subject and names', () => {
  const made = createCertificateRequest({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'], ipAddresses: ['192.0.2.4', 'fd00::1'] });
  const text = execFileSync('openssl', ['req', '-noout', '-verify', '-text'], { input: made.requestPem, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  assert.match(text, /O\s*=\s*system:nodes, CN\s*=\s*system:node:n1/);
  assert.match(text, /DNS:n1, IP Address:192\.0\.2\.4, IP Address:FD00:0:0:0:0:0:0:1/);
  const parsed = parseCertificateRequest(made.requestPem);
  assert.equal(parsed.commonName, 'system:node:n1');
  assert.deepEqual(parsed.organizations, ['system:nodes']);
  assert.deepEqual(parsed.dnsNames, ['n1']);
  assert.deepEqual(parsed.ipAddresses, ['192.0.2.4', 'fd00::1']);
});

test("openssl's RSA request with names parses and verifies", () => {
  const pem = execFileSync(
    'openssl',
    ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-subj', '/O=g1/O=g2/CN=bob', '-addext', 'subjectAltName=DNS:a.example,IP:10.0.0.1,email:b@example.com'],
    { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const parsed = parseCertificateRequest(pem);
  assert.equal(parsed.commonName, 'bob');
  assert.deepEqual(parsed.organizations, ['g1', 'g2']);
  assert.deepEqual(parsed.dnsNames, ['a.example']);
  assert.deepEqual(parsed.ipAddresses, ['10.0.0.1']);
  assert.deepEqual(parsed.emailAddresses, ['b@example.com']);
});

function tampered(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  der[der.length - 5] ^= 0xff;
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
}

test('validation: what upstream refuses, field by field', () => {
  const cases: [string, CertificateSigningRequest, { field: string; type: string; detail?: RegExp }[]][] = [
    ['valid', csr(), []],
    ['no signer', csr({ signerName: '' }), [{ field: 'spec.signerName', type: 'FieldValueRequired' }]],
    ['signer without a path', csr({ signerName: 'example.com' }), [{ field: 'spec.signerName', type: 'FieldValueInvalid', detail: /fully qualified domain and path/ }]],
    ['too short', csr({ expirationSeconds: 599 }), [{ field: 'spec.expirationSeconds', type: 'FieldValueInvalid', detail: /less than 600 seconds/ }]],
    ['ten minutes', csr({ expirationSeconds: 600 }), []],
    ['no usages', csr({ usages: [] }), [{ field: 'spec.usages', type: 'FieldValueRequired' }]],
    ['unknown usage', csr({ usages: ['client auth', 'flying'] }), [{ field: 'spec.usages[1]', type: 'FieldValueNotSupported' }]],
    ['not PEM', csr({ request: b64('hello') }), [{ field: 'spec.request', type: 'FieldValueInvalid', detail: /PEM block type must be CERTIFICATE REQUEST/ }]],
    ['bad signature', csr({ request: b64(tampered(client.requestPem)) }), [{ field: 'spec.request', type: 'FieldValueInvalid', detail: /signature|malformed/ }]],
    [
      'approved and denied',
      csr({}, { conditions: [{ type: 'Approved', status: 'True' }, { type: 'Denied', status: 'True' }] }),
      [{ field: 'status.conditions', type: 'FieldValueInvalid', detail: /mutually exclusive/ }],
    ],
    ['approved False', csr({}, { conditions: [{ type: 'Approved', status: 'False' }] }), [{ field: 'status.conditions[0].status', type: 'FieldValueInvalid', detail: /only be set to True/ }]],
    ['not a certificate', csr({}, { certificate: b64('junk') }), [{ field: 'status.certificate', type: 'FieldValueInvalid', detail: /at least one CERTIFICATE/ }]],
  ];
  for (const [name, object, expected] of cases) {
    const errs = validateCertificateSigningRequest(object);
    assert.equal(errs.length, expected.length, `${name}: ${JSON.stringify(errs)}`);
    expected.forEach((e, i) => {
      assert.equal(errs[i].field, e.field, name);
      assert.equal(errs[i].type, e.type, name);
      if (e.detail) assert.match(errs[i].detail ?? '', e.detail, name);
    });
  }
});

test('create records the authenticated requester, whatever the client wrote', () => {
  const object = csr({ username: 'mallory', groups: ['system:masters'] }, { certificate: 'x' });
  certificatesigningrequests.prepareForCreate!(object, { username: 'alice', groups: ['devs', 'system:authenticated'], uid: 'u1' });
  assert.equal(object.spec.username, 'alice');
  assert.deepEqual(object.spec.groups, ['devs', 'system:authenticated']);
  assert.equal(object.spec.uid, 'u1');
  assert.equal(object.status, undefined);
});

test('approval changes only Approved/Denied; a decision is never removed; the certificate never changes', () => {
  const old = csr({}, { conditions: [{ type: 'Failed', status: 'True', reason: 'x' }] });
  const next = csr({ signerName: 'example.com/other' }, { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove' }], certificate: 'abc' });
  const result = prepareApprovalUpdate(next, old, '2026-01-01T00:00:00Z');
  assert.equal(result.spec.signerName, 'kubernetes.io/kube-apiserver-client');
  assert.deepEqual(result.status?.conditions?.map((c) => c.type), ['Failed', 'Approved']);
  assert.equal(result.status?.certificate, undefined);
  assert.equal(result.status?.conditions?.[1].lastUpdateTime, '2026-01-01T00:00:00Z');

  const approved = csr({}, { conditions: [{ type: 'Approved', status: 'True' }] });
  const undecided = prepareApprovalUpdate(csr({}, { conditions: [] }), approved, '2026-01-01T00:00:00Z');
  assert.match(validateApprovalUpdate(undecided, approved).map((e) => e.detail).join(), /may not remove a condition of type "Approved"/);
  const issued = csr({}, { conditions: [{ type: 'Approved', status: 'True' }], certificate: b64(certificatePem()) });
  const changed = { ...issued, status: { ...issued.status, certificate: b64(certificatePem()) } };
  assert.match(certificatesigningrequests.validateStatusUpdate!(changed, issued).map((e) => e.detail).join(), /may not modify existing certificate content/);
});

test('/status keeps the approval it was given by /approval', () => {
  const old = csr({}, { conditions: [{ type: 'Approved', status: 'True', lastUpdateTime: 't', lastTransitionTime: 't' }] });
  const next = structuredClone(old);
  next.status = { conditions: [{ type: 'Denied', status: 'True' }], certificate: 'Y2VydA==' };
  certificatesigningrequests.prepareForStatusUpdate!(next, old, 'now');
  assert.deepEqual(next.status?.conditions?.map((c) => c.type), ['Approved']);
  assert.equal(next.status?.certificate, 'Y2VydA==');
});

test('the kubectl get csr condition column', () => {
  assert.equal(conditionSummary(csr()), 'Pending');
  assert.equal(conditionSummary(csr({}, { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'x' })), 'Approved,Issued');
  assert.equal(conditionSummary(csr({}, { conditions: [{ type: 'Denied', status: 'True' }] })), 'Denied');
  assert.equal(conditionSummary(csr({}, { conditions: [{ type: 'Approved', status: 'True' }, { type: 'Failed', status: 'True' }] })), 'Approved,Failed');
  const cells = certificatesigningrequests.table!.cells(csr({ username: 'alice', expirationSeconds: 3600 }), new Date());
  assert.deepEqual(cells.slice(2), ['kubernetes.io/kube-apiserver-client', 'alice', '60m', 'Pending']);
});

test('what each built-in signer accepts', () => {
  const node = parseCertificateRequest(createCertificateRequest({ commonName: 'system:node:n1', organizations: ['system:nodes'] }).requestPem);
  const serving = parseCertificateRequest(createCertificateRequest({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'], ipAddresses: ['10.0.0.2'] }).requestPem);
  const alice = parseCertificateRequest(client.requestPem);
  assert.equal(kubeletClientProblem(node, ['digital signature', 'client auth']), undefined);
  assert.match(kubeletClientProblem(node, ['server auth']) ?? '', /usages did not match/);
  assert.match(kubeletClientProblem(alice, ['client auth']) ?? '', /organization is not system:nodes/);
  assert.match(kubeletClientProblem(serving, ['client auth']) ?? '', /DNS subjectAltNames are not allowed/);
  assert.equal(kubeletServingProblem(serving, ['digital signature', 'key encipherment', 'server auth']), undefined);
  assert.match(kubeletServingProblem(node, ['server auth']) ?? '', /DNS or IP subjectAltName is required/);
  assert.equal(apiserverClientProblem(alice, ['client auth']), undefined);
  assert.match(apiserverClientProblem(alice, ['server auth']) ?? '', /usages did not match/);
});

function certificatePem(): string {
  const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
  try {
    return execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${dir}/k`, '-subj', '/CN=t', '-days', '1'], {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } finally {
    execFileSync('rm', ['-rf', dir]);
  }
}
