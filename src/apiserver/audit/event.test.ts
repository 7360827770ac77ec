import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { UserInfo } from '../authentication.js';
import {
  addAuditAnnotation,
  annotateAuthorization,
  auditIDFor,
  canonicalIP,
  logImpersonatedUser,
  microTime,
  newAuditEvent,
  nowMicros,
  sourceIPs,
  truncatedUserAgent,
  type AuditEvent,
} from './event.js';
import { copyWithoutManagedFields, logRequestObject, logRequestPatch, logResponseObject } from './event-objects.js';
import { encodeEventJSON, eventString, goQuote } from './format.js';
import { authenticationFailureMessage, beginRequestAudit, type AuditSink } from './stages.js';
import type { AuditAttributes, Level, Policy, Stage } from './policy.js';

/** A sink that keeps each event as the JSON line the log backend would write. */
function collectingSink(): AuditSink & { events: Record<string, unknown>[] } {
  const events: Record<string, unknown>[] = [];
  return {
    events,
    processEvents(...batch: AuditEvent[]) {
      for (const event of batch) events.push(JSON.parse(encodeEventJSON(event)));
      return true;
    },
  };
}

const admin: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'], uid: 'u-1', extra: {} };
const createPod: AuditAttributes = {
  user: admin,
  verb: 'create',
  resourceRequest: true,
  apiGroup: '',
  apiVersion: 'v1',
  resource: 'pods',
  namespace: 'default',
  path: '/api/v1/namespaces/default/pods',
};
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', managedFields: [{ manager: 'kubectl', operation: 'Update' }] },
  spec: { containers: [{ name: 'web', image: 'nginx' }] },
};
const storedPod = { ...pod, metadata: { ...pod.metadata, uid: 'p-1', resourceVersion: '42' } };

const policyAt = (level: Level, extra: Partial<Policy> = {}) => ({ rules: [{ level }], ...extra });
const received = Date.UTC(2026, 11, 5, 22, 1, 2) * 1000 + 123456;

async function createPodAudited(level: Level, extra: Partial<Policy> = {}) {
  const sink = collectingSink();
  const audit = beginRequestAudit({
    policy: policyAt(level, extra),
    sink,
    attributes: createPod,
    user: admin,
    auditID: '6c4ce5e0-7c7f-4b6d-9e4e-2d0c7e9f1a11',
    requestURI: '/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply',
    userAgent: 'kubectl/v1.32.0 (linux/amd64) kubernetes/abcdef',
    sourceIPs: ['10.0.0.5'],
    receivedAtMicros: received,
    longRunning: false,
  });
  if (!audit) return { sink, audit };
  assert.equal(await audit.requestReceived(), true);
  annotateAuthorization(audit.event, 'allow', '');
  const body = structuredClone(pod);
  logRequestObject(audit.event, audit.config, body, { group: '', version: 'v1', resource: 'pods' });
  body.metadata.name = 'changed-later';
  logResponseObject(audit.event, audit.config, storedPod);
  await audit.responseStarted(201);
  await audit.responseComplete();
  return { sink, audit };
}

describe('event shape per level', () => {
  it('None: no event', async () => {
    const { audit, sink } = await createPodAudited('None');
    assert.equal(audit, undefined);
    assert.equal(sink.events.length, 0);
  });

  it('Metadata: who, what, where and the code; no bodies', async () => {
    const { sink } = await createPodAudited('Metadata');
    assert.deepEqual(
      sink.events.map((e) => e.stage),
      ['RequestReceived', 'ResponseComplete'],
    );
    const [first, last] = sink.events;
    assert.deepEqual(Object.keys(last), [
      'kind',
      'apiVersion',
      'level',
      'auditID',
      'stage',
      'requestURI',
      'verb',
      'user',
      'sourceIPs',
      'userAgent',
      'objectRef',
      'responseStatus',
      'requestReceivedTimestamp',
      'stageTimestamp',
      'annotations',
    ]);
    assert.deepEqual(first.objectRef, { resource: 'pods', namespace: 'default', apiVersion: 'v1' });
    assert.equal(first.responseStatus, undefined);
    assert.equal(first.stageTimestamp, '2026-12-05T22:01:02.123456Z');
    assert.deepEqual(last, {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: '6c4ce5e0-7c7f-4b6d-9e4e-2d0c7e9f1a11',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply',
      verb: 'create',
      user: { username: 'admin', uid: 'u-1', groups: ['system:masters', 'system:authenticated'] },
      sourceIPs: ['10.0.0.5'],
      userAgent: 'kubectl/v1.32.0 (linux/amd64) kubernetes/abcdef',
      objectRef: { resource: 'pods', namespace: 'default', name: 'web', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestReceivedTimestamp: '2026-12-05T22:01:02.123456Z',
      stageTimestamp: last.stageTimestamp,
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    });
    assert.match(last.stageTimestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('Request: the request body as it arrived, no response body', async () => {
    const { sink } = await createPodAudited('Request');
    const last = sink.events.at(-1)!;
    assert.deepEqual(last.requestObject, pod);
    assert.equal(last.responseObject, undefined);
  });

  it('RequestResponse: both bodies; managedFields dropped when the policy says so', async () => {
    let last = (await createPodAudited('RequestResponse')).sink.events.at(-1)!;
    assert.deepEqual(last.responseObject, storedPod);
    assert.deepEqual(Object.keys(last).slice(10, 14), ['objectRef', 'responseStatus', 'requestObject', 'responseObject']);
    last = (await createPodAudited('RequestResponse', { omitManagedFields: true })).sink.events.at(-1)!;
    assert.equal((last.requestObject as typeof pod).metadata.managedFields, undefined);
    assert.equal((last.responseObject as typeof pod).metadata.managedFields, undefined);
    assert.deepEqual((last.responseObject as typeof storedPod).metadata.uid, 'p-1');
  });

  it('omitted stages are not sent', async () => {
    const { sink } = await createPodAudited('Metadata', { omitStages: ['RequestReceived'] });
    assert.deepEqual(
      sink.events.map((e) => e.stage),
      ['ResponseComplete'],
    );
  });
});

describe('stages', () => {
  const watch: AuditAttributes = { user: admin, verb: 'watch', resourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'pods' };
  const begin = (longRunning: boolean, omitStages: Stage[] = []) => {
    const sink = collectingSink();
    const audit = beginRequestAudit({ policy: { rules: [{ level: 'Metadata' }], omitStages }, sink, attributes: watch, user: admin, auditID: 'a', requestURI: '/api/v1/pods?watch=true', sourceIPs: [], longRunning })!;
    return { sink, audit };
  };

  it('a long-running request sends ResponseStarted when its code is known', async () => {
    const { sink, audit } = begin(true);
    await audit.requestReceived();
    await audit.responseStarted(200);
    await audit.responseStarted(500); // only the first code counts
    await audit.responseComplete();
    assert.deepEqual(
      sink.events.map((e) => [e.stage, (e.responseStatus as { code?: number } | undefined)?.code]),
      [
        ['RequestReceived', undefined],
        ['ResponseStarted', 200],
        ['ResponseComplete', 200],
      ],
    );
    assert.equal(sink.events[0].sourceIPs, undefined);
  });

  it('a short request sends no ResponseStarted', async () => {
    const { sink, audit } = begin(false);
    await audit.requestReceived();
    await audit.responseStarted(200);
    await audit.responseComplete();
    assert.deepEqual(
      sink.events.map((e) => e.stage),
      ['RequestReceived', 'ResponseComplete'],
    );
  });

  it('a connection closed before any answer is a faked success', async () => {
    const { sink, audit } = begin(true);
    await audit.responseComplete();
    const closedEarly = { metadata: {}, status: 'Success', message: 'Connection closed early', code: 200 };
    assert.deepEqual(
      sink.events.map((e) => [e.stage, e.responseStatus]),
      [
        ['ResponseStarted', closedEarly],
        ['ResponseComplete', closedEarly],
      ],
    );
  });

  it('an error answer records the Status', async () => {
    const { sink, audit } = begin(false);
    logResponseObject(audit.event, audit.config, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404 });
    await audit.responseStarted(404);
    await audit.responseComplete();
    assert.deepEqual(sink.events.at(-1)!.responseStatus, { metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404 });
    assert.deepEqual(Object.keys(sink.events.at(-1)!.responseStatus as object), ['metadata', 'status', 'message', 'reason', 'details', 'code']);
  });

  it('an unexpected failure is the Panic stage', async () => {
    const { sink, audit } = begin(false);
    await audit.panic(new TypeError("Cannot read properties of undefined (reading 'spec')"));
    assert.deepEqual(sink.events.at(-1)!, {
      ...sink.events.at(-1)!,
      stage: 'Panic',
      responseStatus: { metadata: {}, status: 'Failure', message: "APIServer panic'd: Cannot read properties of undefined (reading 'spec')", reason: 'InternalError', code: 500 },
    });
  });

  it('a failed authentication is one ResponseStarted event with the 401', async () => {
    const sink = collectingSink();
    const audit = beginRequestAudit({ policy: { rules: [{ level: 'Metadata' }] }, sink, attributes: { verb: 'get', resourceRequest: false, path: '/api' }, auditID: 'b', requestURI: '/api', sourceIPs: ['127.0.0.1'], longRunning: false })!;
    await audit.authenticationFailed('Authentication failed, attempted: bearer');
    assert.equal(sink.events.length, 1);
    assert.deepEqual(sink.events[0].user, {});
    assert.equal(sink.events[0].objectRef, undefined);
    assert.deepEqual(sink.events[0].responseStatus, { metadata: {}, message: 'Authentication failed, attempted: bearer', code: 401 });
    assert.equal(sink.events[0].stage, 'ResponseStarted');
  });

  it('names the credentials a failed authentication presented', () => {
    const socket = { getPeerCertificate: () => ({}) } as never;
    const req = (headers: Record<string, string>, url = '/api') => ({ headers, url, socket });
    assert.equal(authenticationFailureMessage(req({})), 'Authentication failed, no credentials provided');
    assert.equal(authenticationFailureMessage(req({ authorization: 'Bearer abc' })), 'Authentication failed, attempted: bearer');
    assert.equal(authenticationFailureMessage(req({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, '/api?access_token=x')), 'Authentication failed, attempted: basic, access_token');
    const withCertificate = { headers: {}, url: '/', socket: { getPeerCertificate: () => ({ subject: { CN: 'x' } }) } as never };
    assert.equal(authenticationFailureMessage(withCertificate), 'Authentication failed, attempted: x509');
  });
});

describe('request metadata', () => {
  it('keeps the client Audit-ID, else makes a UUID', () => {
    assert.equal(auditIDFor({ 'audit-id': 'from-client' }), 'from-client');
    assert.match(auditIDFor({}), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(auditIDFor({ 'audit-id': '' }), '');
  });

  const sourceCases: [name: string, headers: Record<string, string>, remote: string | undefined, expected: string[]][] = [
    ['the remote address alone', {}, '10.0.0.1', ['10.0.0.1']],
    ['IPv4-mapped IPv6 as IPv4', {}, '::ffff:127.0.0.1', ['127.0.0.1']],
    ['IPv6 compressed', {}, '2001:0db8:0000:0000:0000:0000:0000:0001', ['2001:db8::1']],
    ['X-Forwarded-For first, invalid entries skipped', { 'x-forwarded-for': '1.2.3.4, bogus, 5.6.7.8' }, '10.0.0.1', ['1.2.3.4', '5.6.7.8', '10.0.0.1']],
    ['X-Real-Ip when not listed', { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '9.9.9.9' }, '10.0.0.1', ['1.2.3.4', '9.9.9.9', '10.0.0.1']],
    ['X-Real-Ip already listed', { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '1.2.3.4' }, '10.0.0.1', ['1.2.3.4', '10.0.0.1']],
    ['the remote address not repeated after itself', { 'x-forwarded-for': '1.2.3.4, 10.0.0.1' }, '10.0.0.1', ['1.2.3.4', '10.0.0.1']],
    ['leading zeros, as Go reads them', { 'x-forwarded-for': '010.001.002.003' }, undefined, ['10.1.2.3']],
  ];
  for (const [name, headers, remote, expected] of sourceCases) {
    it(`source IPs: ${name}`, () => assert.deepEqual(sourceIPs(headers, remote), expected));
  }

  it('refuses what is not an address', () => {
    for (const text of ['', '256.1.1.1', '1.2.3', 'fe80::1%eth0', '::g', 'x'.repeat(100)]) assert.equal(canonicalIP(text), undefined, text);
  });

  it('cuts a long User-Agent at 1024 bytes', () => {
    assert.equal(truncatedUserAgent('kubectl'), 'kubectl');
    assert.equal(truncatedUserAgent('a'.repeat(2000)), `${'a'.repeat(1024)}...TRUNCATED`);
  });

  it('writes MicroTime with six digits, and nowMicros follows the wall clock', () => {
    assert.equal(microTime(Date.UTC(2026, 11, 5, 22, 1, 2) * 1000 + 1), '2026-12-05T22:01:02.000001Z');
    const before = Date.now() * 1000;
    const now = nowMicros();
    assert.ok(now >= before - 1000 && now <= Date.now() * 1000 + 2000);
  });

  it('records the impersonated user and keeps the first value of an annotation', () => {
    const event = newAuditEvent({ auditID: 'c', level: 'Metadata', attributes: { verb: 'get', resourceRequest: false, path: '/version', user: admin }, requestURI: '/version', sourceIPs: [] });
    logImpersonatedUser(event, { username: 'jane', groups: ['dev'], extra: { scopes: ['a'] } });
    assert.deepEqual(event.impersonatedUser, { username: 'jane', groups: ['dev'], extra: { scopes: ['a'] } });
    assert.equal(addAuditAnnotation(event, 'pod-security.kubernetes.io/enforce-policy', 'restricted:latest'), true);
    assert.equal(addAuditAnnotation(event, 'pod-security.kubernetes.io/enforce-policy', 'baseline:latest'), false);
    annotateAuthorization(event, 'deny', 'no RBAC policy matched');
    assert.deepEqual(event.annotations, {
      'pod-security.kubernetes.io/enforce-policy': 'restricted:latest',
      'authorization.k8s.io/decision': 'forbid',
      'authorization.k8s.io/reason': 'no RBAC policy matched',
    });
    assert.equal(event.objectRef, undefined);
  });

  it('keeps a patch as sent: JSON as its value, anything else as text', () => {
    const event = newAuditEvent({ auditID: 'd', level: 'Request', attributes: createPod, requestURI: '/', sourceIPs: [] });
    logRequestPatch(event, { level: 'Request', omitStages: [], omitManagedFields: false }, Buffer.from('{"spec":{"replicas":3}}'));
    assert.deepEqual(event.requestObject, { spec: { replicas: 3 } });
    logRequestPatch(event, { level: 'Request', omitStages: [], omitManagedFields: false }, 'spec:\n  replicas: 3\n');
    assert.equal(event.requestObject, 'spec:\n  replicas: 3\n');
  });

  it('drops managedFields from lists and tables too', () => {
    const withFields = { metadata: { name: 'a', managedFields: [{}] } };
    assert.deepEqual(copyWithoutManagedFields({ kind: 'PodList', items: [withFields, withFields] }), { kind: 'PodList', items: [{ metadata: { name: 'a' } }, { metadata: { name: 'a' } }] });
    assert.deepEqual(copyWithoutManagedFields({ kind: 'Table', rows: [{ cells: [], object: withFields }] }), { kind: 'Table', rows: [{ cells: [], object: { metadata: { name: 'a' } } }] });
    assert.deepEqual(withFields.metadata.managedFields, [{}]);
  });
});

describe('legacy format', () => {
  it('is upstream EventString', async () => {
    const { audit } = await createPodAudited('Metadata');
    logImpersonatedUser(audit!.event, { username: 'jane', groups: ['dev', 'ops'] });
    audit!.event.stage = 'ResponseComplete';
    assert.equal(
      eventString(audit!.event),
      '2026-12-05T22:01:02.123456Z AUDIT: id="6c4ce5e0-7c7f-4b6d-9e4e-2d0c7e9f1a11" stage="ResponseComplete" ip="10.0.0.5" method="create" ' +
        'user="admin" groups="\\"system:masters\\",\\"system:authenticated\\"" as="jane" asgroups="\\"dev\\",\\"ops\\"" ' +
        'user-agent="kubectl/v1.32.0 (linux/amd64) kubernetes/abcdef" namespace="default" uri="/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply" response="201"',
    );
  });

  it('quotes as Go %q does', () => {
    assert.equal(goQuote('a"b\\c\n\x01\x7fé'), '"a\\"b\\\\c\\n\\x01\\x7fé"');
  });

  it('trims trailing zeros of the time and shows unknowns', () => {
    const event = newAuditEvent({ auditID: 'e', level: 'Metadata', attributes: { verb: 'get', resourceRequest: false, path: '/' }, requestURI: '/', sourceIPs: [], receivedAtMicros: Date.UTC(2026, 0, 1) * 1000 + 120000 });
    assert.equal(
      eventString(event),
      '2026-01-01T00:00:00.12Z AUDIT: id="e" stage="RequestReceived" ip="<unknown>" method="get" user="<none>" groups="<none>" as="<self>" asgroups="<lookup>" user-agent="" namespace="<none>" uri="/" response="<deferred>"',
    );
  });
});

describe('followResponse', () => {
  it('records the code of a real response and completes when it closes', async () => {
    const { createServer } = await import('node:http');
    const { followResponse } = await import('./stages.js');
    const sink = collectingSink();
    let completed!: () => void;
    const done = new Promise<void>((resolve) => (completed = resolve));
    const server = createServer((req, res) => {
      const audit = beginRequestAudit({ policy: { rules: [{ level: 'Metadata' }] }, sink, attributes: { verb: 'get', resourceRequest: false, path: '/healthz' }, auditID: 'f', requestURI: req.url!, sourceIPs: [], longRunning: true })!;
      followResponse(audit, res);
      res.once('close', () => completed()); // after followResponse's own listener
      res.statusCode = 202;
      res.end('ok'); // implicit headers
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(response.status, 202);
      await response.text();
      await done;
      assert.deepEqual(
        sink.events.map((e) => [e.stage, (e.responseStatus as { code: number }).code]),
        [
          ['ResponseStarted', 202],
          ['ResponseComplete', 202],
        ],
      );
    } finally {
      server.close();
    }
  });

  it('records nothing more after a panic', async () => {
    const sink = collectingSink();
    const audit = beginRequestAudit({ policy: { rules: [{ level: 'Metadata' }] }, sink, attributes: { verb: 'get', resourceRequest: false, path: '/' }, auditID: 'g', requestURI: '/', sourceIPs: [], longRunning: false })!;
    await audit.panic(new Error('boom'));
    await audit.responseComplete();
    assert.deepEqual(
      sink.events.map((e) => e.stage),
      ['Panic'],
    );
  });
});
