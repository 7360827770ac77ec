/**
 * pods/ephemeralcontainers through HTTPS: get, update (PUT of the whole
 * pod) and strategic merge patch (what kubectl debug sends); entries are
 * only added; everything else of the request is ignored; discovery and
 * OpenAPI list the subresource.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing.js';

let api: TestServer;
before(async () => {
  api = await startTestServer();
  const created = await api.request('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'x', labels: { app: 'x' } },
    spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
  });
  assert.equal(created.status, 201, created.body);
});
after(async () => {
  await api.close();
});

const path = '/api/v1/namespaces/default/pods/x/ephemeralcontainers';
const smp = { 'Content-Type': 'application/strategic-merge-patch+json' };
const debuggerContainer = (name: string, more: Record<string, unknown> = {}) => ({
  name,
  image: 'busybox',
  command: ['sh', '-c', 'echo hi'],
  terminationMessagePolicy: 'File',
  resources: {},
  targetContainerName: 'app',
  ...more,
});

test('kubectl debug adds an ephemeral container with a strategic merge patch', async () => {
  const patched = await api.request('PATCH', path, { spec: { ephemeralContainers: [debuggerContainer('debugger-a')] } }, smp);
  assert.equal(patched.status, 200, patched.body);
  const pod = patched.json();
  assert.equal(pod.kind, 'Pod');
  assert.deepEqual(pod.spec.ephemeralContainers.map((c: any) => c.name), ['debugger-a']);
  // Defaulted like any container.
  assert.equal(pod.spec.ephemeralContainers[0].imagePullPolicy, 'Always');
  assert.equal(pod.spec.ephemeralContainers[0].terminationMessagePath, '/dev/termination-log');

  // A second patch (with the $setElementOrder kubectl's two-way patch carries) adds another.
  const second = await api.request('PATCH', path, {
    spec: {
      '$setElementOrder/ephemeralContainers': [{ name: 'debugger-a' }, { name: 'debugger-b' }],
      ephemeralContainers: [debuggerContainer('debugger-b', { targetContainerName: undefined })],
    },
  }, smp);
  assert.equal(second.status, 200, second.body);
  assert.deepEqual(second.json().spec.ephemeralContainers.map((c: any) => c.name), ['debugger-a', 'debugger-b']);

  const got = await api.request('GET', path);
  assert.equal(got.status, 200);
  assert.equal(got.json().kind, 'Pod');
  assert.equal(got.json().spec.ephemeralContainers.length, 2);
});

test('existing ephemeral containers may not be changed or removed (422, upstream messages)', async () => {
  const current = (await api.request('GET', path)).json();
  const changed = structuredClone(current);
  changed.spec.ephemeralContainers[0].command = ['top'];
  const put = await api.request('PUT', path, changed);
  assert.equal(put.status, 422, put.body);
  const status = put.json();
  assert.equal(status.reason, 'Invalid');
  assert.equal(status.details.causes[0].field, 'spec.ephemeralContainers');
  assert.match(status.details.causes[0].message, /^Forbidden: existing ephemeral containers "debugger-a" may not be changed/);

  const removed = structuredClone(current);
  removed.spec.ephemeralContainers = removed.spec.ephemeralContainers.slice(1);
  const put2 = await api.request('PUT', path, removed);
  assert.equal(put2.status, 422, put2.body);
  assert.match(put2.json().message, /existing ephemeral containers "debugger-a" may not be removed/);

  const deleted = await api.request('PATCH', path, [{ op: 'remove', path: '/spec/ephemeralContainers/0' }], { 'Content-Type': 'application/json-patch+json' });
  assert.equal(deleted.status, 422, deleted.body);
});

test('invalid ephemeral containers are refused', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [debuggerContainer('debugger-c', { targetContainerName: 'nope' }), 'spec.ephemeralContainers[2].targetContainerName'],
    [debuggerContainer('app'), 'spec.ephemeralContainers[2].name'],
    [debuggerContainer('debugger-c', { ports: [{ containerPort: 80 }] }), 'spec.ephemeralContainers[2].ports'],
    [debuggerContainer('debugger-c', { readinessProbe: { exec: { command: ['true'] } } }), 'spec.ephemeralContainers[2].readinessProbe'],
    [debuggerContainer('debugger-c', { lifecycle: { postStart: { exec: { command: ['true'] } } } }), 'spec.ephemeralContainers[2].lifecycle'],
    [debuggerContainer('debugger-c', { resources: { requests: { cpu: '1' } } }), 'spec.ephemeralContainers[2].resources'],
  ];
  for (const [container, field] of cases) {
    const res = await api.request('PATCH', path, { spec: { ephemeralContainers: [container] } }, smp);
    assert.equal(res.status, 422, `${field}: ${res.body}`);
    assert.deepEqual(res.json().details.causes.map((c: any) => c.field), [field]);
  }
});

test('other changes sent through the subresource are ignored', async () => {
  const current = (await api.request('GET', path)).json();
  const next = structuredClone(current);
  next.metadata.labels = { app: 'changed' };
  next.spec.activeDeadlineSeconds = 30;
  next.spec.containers[0].image = 'nginx';
  next.status = { phase: 'Failed' };
  next.spec.ephemeralContainers.push(debuggerContainer('debugger-c'));
  const put = await api.request('PUT', path, next);
  assert.equal(put.status, 200, put.body);
  const stored = put.json();
  assert.deepEqual(stored.metadata.labels, { app: 'x' });
  assert.equal(stored.spec.activeDeadlineSeconds, undefined);
  assert.equal(stored.spec.containers[0].image, 'busybox');
  assert.equal(stored.status.phase, 'Pending');
  assert.equal(stored.spec.ephemeralContainers.length, 3);
  // A stale resourceVersion is still a conflict.
  const stale = await api.request('PUT', path, { ...current, spec: { ...current.spec, ephemeralContainers: next.spec.ephemeralContainers } });
  assert.equal(stale.status, 409, stale.body);
});

test('the pod itself cannot change ephemeral containers, nor be created with them', async () => {
  const current = (await api.request('GET', '/api/v1/namespaces/default/pods/x')).json();
  current.spec.ephemeralContainers.push(debuggerContainer('debugger-d'));
  const put = await api.request('PUT', '/api/v1/namespaces/default/pods/x', current);
  assert.equal(put.status, 422, put.body);
  assert.match(put.json().message, /pod updates may not change fields/);

  const created = await api.request('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'y' },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ephemeralContainers: [debuggerContainer('d')] },
  });
  assert.equal(created.status, 422, created.body);
  assert.match(created.json().message, /spec\.ephemeralContainers: Forbidden: cannot be set on create/);
});

test('the subresource of a missing pod is a 404 naming the pod', async () => {
  const res = await api.request('PATCH', '/api/v1/namespaces/default/pods/missing/ephemeralcontainers', { spec: { ephemeralContainers: [debuggerContainer('d')] } }, smp);
  assert.equal(res.status, 404);
  assert.equal(res.json().details.name, 'missing');
});

test('discovery and OpenAPI list pods/ephemeralcontainers', async () => {
  const discovery = (await api.request('GET', '/api/v1')).json();
  const sub = discovery.resources.find((r: any) => r.name === 'pods/ephemeralcontainers');
  assert.ok(sub, 'pods/ephemeralcontainers in discovery');
  assert.equal(sub.kind, 'Pod');
  assert.deepEqual(sub.verbs, ['get', 'patch', 'update']);
  const openapi = (await api.request('GET', '/openapi/v2')).json();
  const operations = openapi.paths['/api/v1/namespaces/{namespace}/pods/{name}/ephemeralcontainers'];
  assert.equal(operations.get.operationId, 'readCoreV1NamespacedPodEphemeralcontainers');
  assert.equal(operations.put.operationId, 'replaceCoreV1NamespacedPodEphemeralcontainers');
  assert.equal(operations.patch.operationId, 'patchCoreV1NamespacedPodEphemeralcontainers');
});
