/**
 * metrics.k8s.io through the apiserver (fake node agents): discovery, get,
 * list, selectors, tables, and upstream's 404, 400 and 405 answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMetricsCluster, type MetricsCluster } from './fixtures.js';

const MiB = 1024 * 1024;
const base = '/apis/metrics.k8s.io/v1beta1';
let cluster: MetricsCluster;

before(async () => {
  cluster = await startMetricsCluster();
  await cluster.addNode('n1', { zone: 'a' });
  await cluster.addNode('n2', { zone: 'b' });
  await cluster.addNode('sick', { zone: 'b' }, false);
  cluster.agents.set('n1', { nodeCores: 0.5, nodeMemoryBytes: 2048 * MiB, containers: { 'default/web/app': [0.25, 64 * MiB], 'default/web/log': [0.0015, 8 * MiB], 'apps/db/db': [1, 512 * MiB] } });
  cluster.agents.set('n2', { nodeCores: 1.25, nodeMemoryBytes: 1000 * MiB + 1, containers: { 'default/api/api': [0.1, 32 * MiB] } });
  cluster.agents.set('sick', { nodeCores: 1, nodeMemoryBytes: MiB, containers: {} });
  await cluster.addPod('default', 'web', 'n1', ['app', 'log'], { app: 'web' });
  await cluster.addPod('apps', 'db', 'n1', ['db'], { app: 'db' });
  await cluster.addPod('default', 'api', 'n2', ['api'], { app: 'api' });
  await cluster.addPod('default', 'pending', 'n2', ['x'], {}, 'Pending');
  await cluster.addPod('default', 'new', 'n2', ['x'], { app: 'new' });
});
after(async () => {
  await cluster?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => cluster.api.request('GET', path, undefined, headers);

describe('discovery', () => {
  it('lists nodes and pods with get and list, no singular name and no storage version, as metrics-server', async () => {
    const list = (await get(base)).json();
    assert.deepEqual(list.resources, [
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
    ]);
    const groups = (await get('/apis')).json().groups as { name: string; preferredVersion: { groupVersion: string } }[];
    assert.equal(groups.at(-1)?.name, 'metrics.k8s.io');
    assert.equal(groups.at(-1)?.preferredVersion.groupVersion, 'metrics.k8s.io/v1beta1');
  });

  it('OpenAPI v3 describes the kinds under k8s.io/metrics\' names', async () => {
    const index = (await get('/openapi/v3')).json() as { paths: Record<string, { serverRelativeURL: string }> };
    const document = (await get(index.paths['apis/metrics.k8s.io/v1beta1'].serverRelativeURL)).json();
    const schemas = document.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    assert.ok(schemas['io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics'].properties?.usage);
    assert.ok(schemas['io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics'].properties?.containers);
    assert.ok(document.paths['/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}'].get);
    assert.equal(document.paths['/apis/metrics.k8s.io/v1beta1/nodes/{name}'].put, undefined);
  });
});

describe('nodes', () => {
  it('lists Ready nodes with usage, sorted, with no resourceVersion; items carry no kind', async () => {
    const answer = await get(`${base}/nodes`);
    assert.equal(answer.status, 200, answer.body);
    const list = answer.json();
    assert.equal(list.kind, 'NodeMetricsList');
    assert.equal(list.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.deepEqual(list.metadata, {});
    assert.deepEqual(list.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['n1', 'n2']);
    const [n1, n2] = list.items;
    assert.equal(n1.kind, undefined);
    assert.deepEqual(n1.usage, { cpu: '500m', memory: '2Gi' });
    assert.deepEqual(n2.usage, { cpu: '1250m', memory: '1048576001' });
    assert.equal(n1.window, '10s');
    assert.deepEqual(n1.metadata.labels, { zone: 'a' });
    assert.match(n1.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(n1.timestamp, /^2026-03-01T10:1\d:\d\dZ$/);
  });

  it('gets one node, with kind and apiVersion', async () => {
    const node = (await get(`${base}/nodes/n1`)).json();
    assert.equal(node.kind, 'NodeMetrics');
    assert.equal(node.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.equal(node.metadata.name, 'n1');
  });

  it('honours label and field selectors', async () => {
    const names = async (query: string) => (await get(`${base}/nodes?${query}`)).json().items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(await names('labelSelector=zone%3Db'), ['n2']);
    assert.deepEqual(await names('labelSelector=zone%20in%20(a,b)'), ['n1', 'n2']);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Dn1'), ['n1']);
    assert.deepEqual(await names('fieldSelector=metadata.namespace%3Dx'), []);
    const refused = await get(`${base}/nodes?fieldSelector=spec.unschedulable%3Dtrue`);
    assert.equal(refused.status, 400);
    assert.equal(refused.json().message, '"spec.unschedulable" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });

  it('404s as metrics-server: no such node, or no metrics for it', async () => {
    const missing = await get(`${base}/nodes/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json().message, 'node "nope" not found');
    const sick = await get(`${base}/nodes/sick`);
    assert.equal(sick.status, 404);
    assert.deepEqual(sick.json().details, { name: 'sick', group: 'metrics.k8s.io', kind: 'nodemetrics' });
    assert.equal(sick.json().message, 'nodemetrics.metrics.k8s.io "sick" not found');
  });

  it('a table has metrics-server\'s columns', async () => {
    const table = (await get(`${base}/nodes`, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })).json();
    assert.deepEqual(table.columnDefinitions.map((c: { name: string; format: string }) => [c.name, c.format]), [['Name', 'name'], ['cpu', 'quantity'], ['memory', 'quantity'], ['Window', 'duration']]);
    assert.deepEqual(table.rows[0].cells, ['n1', '500m', '2Gi', '10s']);
  });
});

describe('pods', () => {
  it('lists running pods with metrics for all containers, per namespace and across all', async () => {
    const inDefault = (await get(`${base}/namespaces/default/pods`)).json();
    assert.equal(inDefault.kind, 'PodMetricsList');
    assert.deepEqual(inDefault.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['api', 'web']);
    const web = inDefault.items[1];
    assert.deepEqual(web.containers, [
      { name: 'app', usage: { cpu: '250m', memory: '64Mi' } },
      { name: 'log', usage: { cpu: '1500u', memory: '8Mi' } },
    ]);
    assert.deepEqual(web.metadata.labels, { app: 'web' });
    const all = (await get(`${base}/pods`)).json();
    assert.deepEqual(all.items.map((i: { metadata: { namespace: string; name: string } }) => `${i.metadata.namespace}/${i.metadata.name}`), ['apps/db', 'default/api', 'default/web']);
  });

  it('honours label and field selectors (the HPA lists by label)', async () => {
    const names = async (query: string) => (await get(`${base}/pods?${query}`)).json().items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(await names('labelSelector=app%3Dweb'), ['web']);
    assert.deepEqual(await names('labelSelector=app%20notin%20(web)'), ['db', 'api']);
    assert.deepEqual(await names('fieldSelector=metadata.namespace%3Dapps'), ['db']);
    assert.deepEqual(await names('fieldSelector=metadata.name!%3Dweb,metadata.namespace%3Ddefault'), ['api']);
  });

  it('gets one pod; 404s as metrics-server: not running, missing, or no metrics', async () => {
    assert.equal((await get(`${base}/namespaces/apps/pods/db`)).json().containers[0].usage.cpu, '1');
    const pending = await get(`${base}/namespaces/default/pods/pending`);
    assert.equal(pending.status, 404);
    assert.equal(pending.json().message, 'pods "pending" not found');
    assert.equal((await get(`${base}/namespaces/default/pods/nope`)).json().message, 'pods "nope" not found');
    const none = await get(`${base}/namespaces/default/pods/new`);
    assert.equal(none.status, 404);
    assert.equal(none.json().message, 'podmetrics.metrics.k8s.io "default/new" not found');
    // A pod's metrics live in its namespace only.
    assert.equal((await get(`${base}/namespaces/apps/pods/web`)).status, 404);
  });

  it('a table sums the containers', async () => {
    const table = (await get(`${base}/namespaces/default/pods/web`, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })).json();
    assert.deepEqual(table.rows[0].cells, ['web', '251500u', '72Mi', '10s']);
  });
});

describe('what is not served', () => {
  it('watch and writes are 405 MethodNotAllowed', async () => {
    const watch = await get(`${base}/nodes?watch=true`);
    assert.equal(watch.status, 405);
    assert.equal(watch.json().message, 'watch is not supported on resources of kind "nodes.metrics.k8s.io"');
    const create = await cluster.api.request('POST', `${base}/namespaces/default/pods`, { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name: 'x' } });
    assert.equal(create.status, 405);
    assert.equal(create.json().reason, 'MethodNotAllowed');
    assert.equal((await cluster.api.request('DELETE', `${base}/nodes/n1`)).status, 405);
    assert.equal((await cluster.api.request('DELETE', `${base}/namespaces/default/pods`)).status, 405);
    assert.equal((await get(`${base}/nodes/n1/status`)).status, 404);
  });

  it('nothing of metrics.k8s.io is stored', async () => {
    const keys = await cluster.api.store.list('/registry/metrics.k8s.io/');
    assert.equal(keys.items.length, 0);
  });
});
