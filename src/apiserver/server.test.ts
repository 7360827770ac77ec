/**
 * The apiserver's behaviour through HTTPS, in-process: verbs, conflicts,
 * selectors, pagination, tables, field validation, errors, watches.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './testing.js';

let api: TestServer;
before(async () => {
  api = await startTestServer({ bookmarkIntervalMs: 200 });
});
after(async () => {
  await api.close();
});

const cm = (name: string, data: Record<string, string> = { a: '1' }, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
});

describe('health, version and authentication', () => {
  test('readyz and version are public; resources are forbidden to anonymous users; a bad token is unauthorized', async () => {
    const https = await import('node:https');
    const anonymous = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ code: number; body: string }>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port: api.port, path, ca: api.pki.caCertPem, headers }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    assert.deepEqual(await anonymous('/readyz'), { code: 200, body: 'ok' });
    assert.deepEqual(await anonymous('/readyz?verbose'), { code: 200, body: '[+]ping ok\n[+]etcd ok\n[+]skiff-bootstrap ok\nreadyz check passed' });
    assert.equal((await anonymous('/version')).code, 200);
    // As upstream with anonymous requests on: system:anonymous, refused by RBAC.
    const refused = await anonymous('/api/v1/namespaces');
    assert.equal(refused.code, 403);
    assert.equal(JSON.parse(refused.body).message, 'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope');
    assert.equal(JSON.parse((await anonymous('/apis')).body).message, 'forbidden: User "system:anonymous" cannot get path "/apis"');
    assert.equal((await anonymous('/api/v1/namespaces', { Authorization: 'Bearer not-a-token' })).code, 401);
    const version = (await api.request('GET', '/version')).json();
    assert.equal(version.major, '1');
    assert.equal(version.minor, '32');
  });
});

describe('CRUD', () => {
  test('create fills server metadata; get returns it; duplicate is AlreadyExists', async () => {
    const created = await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    assert.equal(created.status, 201, created.body);
    const object = created.json();
    assert.match(object.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(object.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Number(object.metadata.resourceVersion) > 0);
    assert.equal(object.metadata.namespace, 'default');
    const got = (await api.request('GET', '/api/v1/namespaces/default/configmaps/one')).json();
    assert.deepEqual(got, object);
    const again = await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    assert.equal(again.status, 409);
    assert.equal(again.json().reason, 'AlreadyExists');
    assert.equal(again.json().message, 'configmaps "one" already exists');
  });

  test('generateName makes a name', async () => {
    const created = (await api.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' }, data: {} })).json();
    assert.match(created.metadata.name, /^gen-[a-z0-9]{5}$/);
  });

  test('not found uses upstream wording', async () => {
    const res = await api.request('GET', '/apis/apps/v1/namespaces/default/deployments/missing');
    assert.equal(res.status, 404);
    assert.equal(res.json().message, 'deployments.apps "missing" not found');
    assert.deepEqual(res.json().details, { name: 'missing', group: 'apps', kind: 'deployments' });
  });

  test('update with a stale resourceVersion conflicts; generation moves on spec change only', async () => {
    const created = (await api.request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web'))).json();
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.spec.replicas, 1, 'defaults applied');
    assert.equal(created.spec.strategy.rollingUpdate.maxSurge, '25%');
    const labelled = structuredClone(created);
    labelled.metadata.labels = { tier: 'front' };
    const updated = (await api.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web', labelled)).json();
    assert.equal(updated.metadata.generation, 1);
    const stale = structuredClone(created);
    stale.spec.replicas = 3;
    const conflict = await api.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web', stale);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json().reason, 'Conflict');
    assert.match(conflict.json().message, /Operation cannot be fulfilled on deployments.apps "web": the object has been modified/);
    const fresh = structuredClone(updated);
    fresh.spec.replicas = 3;
    const scaled = (await api.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web', fresh)).json();
    assert.equal(scaled.metadata.generation, 2);
  });

  test('status is separate from spec', async () => {
    const current = (await api.request('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json();
    current.status = { replicas: 7 };
    const viaMain = (await api.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web', current)).json();
    assert.notEqual(viaMain.status?.replicas, 7);
    viaMain.status = { replicas: 7 };
    const viaStatus = (await api.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', viaMain)).json();
    assert.equal(viaStatus.status.replicas, 7);
  });

  test('three patch types', async () => {
    await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('patched', { a: '1', b: '2' }));
    const merge = await api.request('PATCH', '/api/v1/namespaces/default/configmaps/patched', { data: { b: null, c: '3' } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.deepEqual(merge.json().data, { a: '1', c: '3' });
    const json = await api.request('PATCH', '/api/v1/namespaces/default/configmaps/patched', [{ op: 'replace', path: '/data/a', value: 'x' }], { 'Content-Type': 'application/json-patch+json' });
    assert.deepEqual(json.json().data, { a: 'x', c: '3' });
    const smp = await api.request(
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/web',
      { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } } },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    assert.equal(smp.status, 200, smp.body);
    assert.equal(smp.json().spec.template.spec.containers.length, 1);
    assert.equal(smp.json().spec.template.spec.containers[0].image, 'nginx:1.28');
    assert.equal(smp.json().spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  });

  test('server-side apply creates a missing object, then merges into it', async () => {
    const apply = (data: Record<string, string>, manager = 'test') =>
      api.request('PATCH', `/api/v1/namespaces/default/configmaps/applied?fieldManager=${manager}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data }, { 'Content-Type': 'application/apply-patch+yaml' });
    const created = await apply({ a: '1' });
    assert.equal(created.status, 201, created.body);
    // The same manager's next apply states all it wants: `a`, no longer applied, goes.
    const replaced = await apply({ b: '2' });
    assert.equal(replaced.status, 200, replaced.body);
    assert.deepEqual(replaced.json().data, { b: '2' });
    // Another manager's apply adds to it.
    const merged = await apply({ c: '3' }, 'other');
    assert.equal(merged.status, 200, merged.body);
    assert.deepEqual(merged.json().data, { b: '2', c: '3' });
    const anonymous = await api.request('PATCH', '/api/v1/namespaces/default/configmaps/applied', { data: {} }, { 'Content-Type': 'application/apply-patch+yaml' });
    assert.equal(anonymous.status, 400);
    assert.match(anonymous.json().message, /must have a fieldManager/);
  });

  test('scale subresource', async () => {
    const scale = (await api.request('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale')).json();
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.status.selector, 'app=web');
    const patched = await api.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 5 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(patched.status, 200, patched.body);
    assert.equal(patched.json().spec.replicas, 5);
    const deploymentNow = (await api.request('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json();
    assert.equal(deploymentNow.spec.replicas, 5);
  });

  test('invalid objects get 422 with causes', async () => {
    const bad = deployment('Bad_Name');
    const res = await api.request('POST', '/apis/apps/v1/namespaces/default/deployments', bad);
    assert.equal(res.status, 422);
    assert.equal(res.json().reason, 'Invalid');
    assert.match(res.json().message, /^Deployment.apps "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"/);
    assert.equal(res.json().details.causes[0].field, 'metadata.name');
  });

  test('strict field validation, and wrong types are a 400', async () => {
    const strict = await api.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { ...cm('strict'), spec: { x: 1 } });
    assert.equal(strict.status, 400);
    assert.match(strict.json().message, /strict decoding error: unknown field "spec"/);
    const warn = await api.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', { ...cm('warned'), spec: { x: 1 } });
    assert.equal(warn.status, 201);
    assert.match(String(warn.headers.warning), /unknown field/);
    assert.equal(warn.json().spec, undefined);
    const typed = await api.request('POST', '/apis/apps/v1/namespaces/default/deployments', { ...deployment('typed'), spec: { ...deployment('typed').spec, replicas: 'three' } });
    assert.equal(typed.status, 400);
  });

  test('bodies over 3 MiB get 413; malformed JSON 400; unknown resource 404; bad verb 405', async () => {
    const big = await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('big', { a: 'x'.repeat(3 * 1024 * 1024 + 10) }));
    assert.equal(big.status, 413);
    assert.equal(big.json().reason, 'RequestEntityTooLarge');
    const malformed = await api.request('POST', '/api/v1/namespaces/default/configmaps', '{"metadata": ');
    assert.equal(malformed.status, 400);
    const unknown = await api.request('GET', '/api/v1/namespaces/default/widgets');
    assert.equal(unknown.status, 404);
    const notAllowed = await api.request('POST', '/api/v1/namespaces/default/configmaps/one', cm('one'));
    assert.equal(notAllowed.status, 405);
  });

  test('nothing is created in a missing namespace', async () => {
    const res = await api.request('POST', '/api/v1/namespaces/nope/configmaps', cm('x'));
    assert.equal(res.status, 404);
    assert.equal(res.json().message, 'namespaces "nope" not found');
  });

  test('dry run stores nothing', async () => {
    const res = await api.request('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    assert.equal(res.status, 201);
    assert.equal((await api.request('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  });
});

describe('lists', () => {
  test('label and field selectors, tables, pagination', async () => {
    for (let i = 0; i < 12; i++) {
      await api.request('POST', '/api/v1/namespaces/default/configmaps', cm(`page-${String(i).padStart(2, '0')}`, { i: String(i) }, { page: 'yes', parity: i % 2 ? 'odd' : 'even' }));
    }
    const odd = (await api.request('GET', '/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes,parity%3Dodd')).json();
    assert.equal(odd.kind, 'ConfigMapList');
    assert.equal(odd.items.length, 6);
    const byName = (await api.request('GET', '/api/v1/configmaps?fieldSelector=metadata.name%3Dpage-03')).json();
    assert.deepEqual(byName.items.map((c: any) => c.metadata.name), ['page-03']);
    const badField = await api.request('GET', '/api/v1/configmaps?fieldSelector=spec.nothing%3Dx');
    assert.equal(badField.status, 400);
    const names: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = (await api.request('GET', `/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes&limit=5${token ? `&continue=${token}` : ''}`)).json();
      names.push(...page.items.map((c: any) => c.metadata.name));
      token = page.metadata.continue ?? '';
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.equal(names.length, 12);
    const table = (await api.request('GET', '/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' })).json();
    assert.equal(table.kind, 'Table');
    assert.deepEqual(table.columnDefinitions.map((c: any) => c.name), ['Name', 'Data', 'Age']);
    assert.equal(table.rows.length, 12);
    assert.equal(table.rows[0].object.kind, 'PartialObjectMetadata');
  });
});

describe('delete', () => {
  test('finalizers hold an object until removed', async () => {
    await api.request('POST', '/api/v1/namespaces/default/configmaps', { ...cm('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const deleting = await api.request('DELETE', '/api/v1/namespaces/default/configmaps/held');
    assert.equal(deleting.status, 200);
    const held = (await api.request('GET', '/api/v1/namespaces/default/configmaps/held')).json();
    assert.ok(held.metadata.deletionTimestamp);
    const released = await api.request('PATCH', '/api/v1/namespaces/default/configmaps/held', { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(released.status, 200, released.body);
    assert.equal((await api.request('GET', '/api/v1/namespaces/default/configmaps/held')).status, 404);
  });

  test('orphan propagation adds the orphan finalizer; preconditions are checked', async () => {
    await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('orphaned'));
    await api.request('DELETE', '/api/v1/namespaces/default/configmaps/orphaned', { propagationPolicy: 'Orphan' });
    const object = (await api.request('GET', '/api/v1/namespaces/default/configmaps/orphaned')).json();
    assert.deepEqual(object.metadata.finalizers, ['orphan']);
    await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('guarded'));
    const wrongUid = await api.request('DELETE', '/api/v1/namespaces/default/configmaps/guarded', { preconditions: { uid: 'nope' } });
    assert.equal(wrongUid.status, 409);
  });

  test('system namespaces cannot be deleted; deleting a namespace marks it Terminating', async () => {
    const res = await api.request('DELETE', '/api/v1/namespaces/default');
    assert.equal(res.status, 403);
    assert.equal(res.json().message, 'namespaces "default" is forbidden: this namespace may not be deleted');
    await api.request('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await api.request('DELETE', '/api/v1/namespaces/doomed');
    const doomed = (await api.request('GET', '/api/v1/namespaces/doomed')).json();
    assert.equal(doomed.status.phase, 'Terminating');
    const refused = await api.request('POST', '/api/v1/namespaces/doomed/configmaps', cm('late'));
    assert.equal(refused.status, 403);
    assert.match(refused.json().message, /because it is being terminated/);
  });
});

describe('watch', () => {
  test('events in order, selector transitions, and 410 for compacted history', async () => {
    const list = (await api.request('GET', '/api/v1/namespaces/default/configmaps')).json();
    const watch = await api.watch(`/api/v1/namespaces/default/configmaps?watch=1&labelSelector=w%3Dyes&resourceVersion=${list.metadata.resourceVersion}`);
    await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('w1', { a: '1' }, { w: 'yes' }));
    assert.deepEqual(await watch.next().then((e) => [e.type, e.object.metadata.name]), ['ADDED', 'w1']);
    await api.request('PATCH', '/api/v1/namespaces/default/configmaps/w1', { data: { a: '2' } }, { 'Content-Type': 'application/merge-patch+json' });
    const modified = await watch.next();
    assert.equal(modified.type, 'MODIFIED');
    assert.equal(modified.object.data.a, '2');
    await api.request('PATCH', '/api/v1/namespaces/default/configmaps/w1', { metadata: { labels: { w: 'no' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal((await watch.next()).type, 'DELETED', 'leaving the selector looks like a deletion');
    await api.request('PATCH', '/api/v1/namespaces/default/configmaps/w1', { metadata: { labels: { w: 'yes' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal((await watch.next()).type, 'ADDED');
    await api.request('DELETE', '/api/v1/namespaces/default/configmaps/w1');
    assert.equal((await watch.next()).type, 'DELETED');
    watch.close();
  });

  test('a watch from an older resourceVersion replays what happened since', async () => {
    const list = (await api.request('GET', '/api/v1/namespaces/kube-public/configmaps')).json();
    await api.request('POST', '/api/v1/namespaces/kube-public/configmaps', { metadata: { name: 'replayed' }, data: {} });
    await api.request('DELETE', '/api/v1/namespaces/kube-public/configmaps/replayed');
    const watch = await api.watch(`/api/v1/namespaces/kube-public/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}`);
    assert.deepEqual([(await watch.next()).type, (await watch.next()).type], ['ADDED', 'DELETED']);
    watch.close();
  });

  test('watch without resourceVersion starts with the current state; sendInitialEvents ends with a bookmark', async () => {
    const watch = await api.watch(
      '/api/v1/namespaces/kube-system/configmaps?watch=1&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Dnothing',
    );
    const event = await watch.next();
    assert.equal(event.type, 'BOOKMARK');
    assert.equal(event.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    assert.ok(Number(event.object.metadata.resourceVersion) > 0);
    watch.close();
    const initial = await api.watch('/api/v1/namespaces?watch=1');
    const names = new Set<string>();
    const system = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];
    // Other tests add namespaces too; read the initial ADDED events until the system ones were all seen.
    while (!system.every((name) => names.has(name))) {
      const event = await initial.next();
      assert.equal(event.type, 'ADDED');
      names.add(event.object.metadata.name);
    }
    initial.close();
  });

  test('table watch: first event carries columns', async () => {
    const list = (await api.request('GET', '/api/v1/namespaces/default/configmaps')).json();
    const watch = await api.watch(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}`, {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('tw1'));
    await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('tw2'));
    const first = await watch.next();
    assert.equal(first.object.kind, 'Table');
    assert.ok(first.object.columnDefinitions.length > 0);
    const second = await watch.next();
    assert.equal(second.object.columnDefinitions, undefined);
    assert.equal(second.object.rows[0].cells[0], 'tw2');
    watch.close();
  });
});

describe('services', () => {
  test('ClusterIP allocated, defaults applied, released on delete', async () => {
    const svc = await api.request('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    assert.equal(svc.status, 201, svc.body);
    const spec = svc.json().spec;
    assert.match(spec.clusterIP, /^10\.43\./);
    assert.equal(spec.type, 'ClusterIP');
    assert.equal(spec.sessionAffinity, 'None');
    assert.equal(spec.ports[0].targetPort, 80);
    assert.equal(spec.ports[0].protocol, 'TCP');
    const kubernetes = (await api.request('GET', '/api/v1/namespaces/default/services/kubernetes')).json();
    assert.equal(kubernetes.spec.clusterIP, '10.43.0.1');
  });
});
