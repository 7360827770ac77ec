/** The REST metrics client, the scale client and the discovery mapper against a fake apiserver. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiscoveredResource, RequestOptions } from '../../client/index.js';
import { StatusError } from '../../machinery/status.js';
import { containerResourceMetrics, podResourceMetrics, RestMetricsClient, type PodMetricsList, type RestRequester } from './metrics-client.js';
import { parseGroupVersion, RestMapper } from './rest-mapper.js';
import { RestScaleClient } from './scale-client.js';

const notFound = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});

const resource = (group: string, version: string, name: string, kind: string, preferred = true): DiscoveredResource => ({ group, version, resource: name, kind, namespaced: true, verbs: ['get', 'list'], preferred });
const discovery = [
  resource('', 'v1', 'pods', 'Pod'),
  resource('', 'v1', 'replicationcontrollers', 'ReplicationController'),
  resource('apps', 'v1', 'deployments', 'Deployment'),
  resource('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics'),
  resource('custom.metrics.k8s.io', 'v1beta2', '*', ''),
];

/** Answers by `METHOD path?query`; records every request. */
class FakeRest implements RestRequester {
  readonly requests: { method: string; url: string; body?: unknown }[] = [];
  constructor(private readonly answers: Record<string, unknown | (() => unknown)>) {}
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
    const url = `${path}${params.size ? `?${params}` : ''}`;
    this.requests.push({ method, url, body: options.body });
    const answer = this.answers[`${method} ${url}`];
    if (answer === undefined) throw notFound();
    return (typeof answer === 'function' ? (answer as () => unknown)() : answer) as T;
  }
}

const mapper = (resources = discovery) => new RestMapper(async () => resources, () => 0);

describe('PodMetrics parsing', () => {
  const list: PodMetricsList = {
    items: [
      { metadata: { name: 'a', namespace: 'ns', labels: { app: 'web' } }, timestamp: '2025-06-01T12:00:00Z', window: '15s', containers: [{ name: 'c1', usage: { cpu: '12m', memory: '3Mi' } }, { name: 'c2', usage: { cpu: '1', memory: '1Mi' } }] },
      { metadata: { name: 'b', namespace: 'ns' }, timestamp: '2025-06-01T12:00:00Z', window: '15s', containers: [{ name: 'c1', usage: { memory: '3Mi' } }, { name: 'c2', usage: { cpu: '5m' } }] },
      { metadata: { name: 'c', namespace: 'ns' }, timestamp: '2025-06-01T12:00:00Z', window: '15s', containers: [] },
      { metadata: { name: 'd', namespace: 'ns' }, timestamp: '2025-06-01T12:00:00Z', window: 'soon', containers: [{ name: 'c1', usage: { cpu: 'lots' } }] },
    ],
  };
  it('sums the containers of each pod in milli-units; a pod missing the resource anywhere is left out', () => {
    assert.deepEqual(podResourceMetrics(list, 'cpu'), new Map([['a', { value: 1012, timestamp: Date.parse('2025-06-01T12:00:00Z'), window: 15_000 }]]));
    assert.equal(podResourceMetrics(list, 'memory').get('a')?.value, 4 * 1024 * 1024 * 1000);
  });
  it('one container: pods without it (or without the resource) are left out', () => {
    assert.deepEqual([...containerResourceMetrics(list, 'cpu', 'c2').entries()].map(([name, m]) => [name, m.value]), [['a', 1000], ['b', 5]]);
  });
  it('hostile answers: no items, items that are not a list', () => {
    assert.equal(podResourceMetrics({}, 'cpu').size, 0);
    assert.equal(podResourceMetrics({ items: 'x' as never }, 'cpu').size, 0);
  });
});

describe('RestMetricsClient', () => {
  it('resource metrics: lists PodMetrics in the namespace with the selector', async () => {
    const rest = new FakeRest({
      'GET /apis/metrics.k8s.io/v1beta1/namespaces/ns/pods?labelSelector=app%3Dweb': { items: [{ metadata: { name: 'a' }, timestamp: '2025-06-01T12:00:00Z', window: '15s', containers: [{ name: 'c', usage: { cpu: '250m' } }] }] },
    });
    const { metrics, timestamp } = await new RestMetricsClient(rest, mapper()).getResourceMetric('cpu', 'ns', 'app=web', '');
    assert.equal(metrics.get('a')?.value, 250);
    assert.equal(timestamp, Date.parse('2025-06-01T12:00:00Z'));
  });
  it('resource metrics: upstream wording when none come back, or the API is not served', async () => {
    const empty = new RestMetricsClient(new FakeRest({ 'GET /apis/metrics.k8s.io/v1beta1/namespaces/ns/pods': { items: [] } }), mapper());
    await assert.rejects(empty.getResourceMetric('cpu', 'ns', '', ''), { message: 'no metrics returned from resource metrics API' });
    const missing = new RestMetricsClient(new FakeRest({}), mapper());
    await assert.rejects(missing.getResourceMetric('cpu', 'ns', '', ''), { message: 'unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)' });
  });
  it('pods metrics: custom.metrics.k8s.io for every pod of the selector', async () => {
    const rest = new FakeRest({
      'GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/*/qps?labelSelector=app%3Dweb&metricLabelSelector=verb%3DGET': {
        items: [
          { describedObject: { kind: 'Pod', name: 'a' }, timestamp: '2025-06-01T12:00:00Z', value: '20' },
          { describedObject: { kind: 'Pod', name: 'b' }, timestamp: '2025-06-01T12:00:00Z', windowSeconds: 30, value: '500m' },
        ],
      },
    });
    const { metrics } = await new RestMetricsClient(rest, mapper()).getRawMetric('qps', 'ns', 'app=web', 'verb=GET');
    assert.deepEqual([...metrics.entries()].map(([name, m]) => [name, m.value, m.window]), [['a', 20000, 60_000], ['b', 500, 30_000]]);
  });
  it('custom metrics: upstream wording when the API is not registered', async () => {
    const client = new RestMetricsClient(new FakeRest({}), mapper(discovery.filter((r) => r.group !== 'custom.metrics.k8s.io')));
    await assert.rejects(client.getRawMetric('qps', 'ns', '', ''), { message: 'unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered' });
  });
  it('object metrics: the described object by resource.group, a Namespace by its own path, exactly one value', async () => {
    const rest = new FakeRest({
      'GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/deployments.apps/web/qps': { items: [{ value: '1500m', timestamp: '2025-06-01T12:00:00Z' }] },
      'GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/metrics/queue': { items: [{ value: '7' }, { value: '8' }] },
    });
    const client = new RestMetricsClient(rest, mapper());
    assert.equal((await client.getObjectMetric('qps', 'ns', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, '')).value, 1500);
    await assert.rejects(client.getObjectMetric('queue', 'ns', { apiVersion: 'v1', kind: 'Namespace', name: 'elsewhere' }, ''), {
      message: 'unable to fetch metrics from custom metrics API: the custom metrics API server returned 2 results when we asked for exactly one',
    });
    await assert.rejects(client.getObjectMetric('qps', 'ns', { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w' }, ''), {
      message: 'unable to fetch metrics from custom metrics API: unable to map kind Widget.example.com to resource: no matches for kind "Widget" in group "example.com"',
    });
  });
  it('external metrics: every series of the metric that the selector picks', async () => {
    const rest = new FakeRest({ 'GET /apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue_length?labelSelector=queue%3Dorders': { items: [{ value: '3', timestamp: '2025-06-01T12:00:00Z' }, { value: '4500m' }] } });
    const client = new RestMetricsClient(rest, mapper());
    assert.deepEqual((await client.getExternalMetric('queue_length', 'ns', 'queue=orders')).values, [3000, 4500]);
    await assert.rejects(client.getExternalMetric('other', 'ns', ''), { message: 'unable to fetch metrics from external metrics API: the server could not find the requested resource (get other.external.metrics.k8s.io)' });
  });
});

describe('RestScaleClient', () => {
  const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'ns', resourceVersion: '7' }, spec: { replicas: 2 }, status: { replicas: 2, selector: 'app=web' } };
  it('reads and writes the scale subresource of the kind, found through discovery', async () => {
    const rest = new FakeRest({ 'GET /apis/apps/v1/namespaces/ns/deployments/web/scale': scale, 'PUT /apis/apps/v1/namespaces/ns/deployments/web/scale': () => scale });
    const client = new RestScaleClient(rest, mapper());
    const { scale: read, target } = await client.get('ns', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    assert.equal(read.spec?.replicas, 2);
    await client.update('ns', target, { ...read, spec: { replicas: 5 } });
    assert.deepEqual(rest.requests.at(-1), { method: 'PUT', url: '/apis/apps/v1/namespaces/ns/deployments/web/scale', body: { ...scale, spec: { replicas: 5 } } });
  });
  it('the core group lives under /api', async () => {
    const rest = new FakeRest({ 'GET /api/v1/namespaces/ns/replicationcontrollers/web/scale': scale });
    assert.deepEqual((await new RestScaleClient(rest, mapper()).get('ns', { apiVersion: 'v1', kind: 'ReplicationController', name: 'web' })).target, { group: '', version: 'v1', resource: 'replicationcontrollers' });
  });
  it('upstream errors: bad apiVersion, unknown kind, the GET failing', async () => {
    const client = new RestScaleClient(new FakeRest({}), mapper());
    await assert.rejects(client.get('ns', { apiVersion: 'a/b/c', kind: 'Deployment', name: 'web' }), { message: 'unexpected GroupVersion string: a/b/c' });
    await assert.rejects(client.get('ns', { apiVersion: 'apps/v1', kind: 'Widget', name: 'web' }), { message: 'no matches for kind "Widget" in group "apps"' });
    await assert.rejects(client.get('ns', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone' }), { message: 'the server could not find the requested resource' });
  });
});

describe('RestMapper', () => {
  it('caches discovery for 30 s; a kind not found is looked up again after 5 s', async () => {
    let now = 0;
    let calls = 0;
    let served = discovery;
    const m = new RestMapper(async () => (calls++, served), () => now);
    await m.mappings('apps', 'Deployment');
    await m.mappings('apps', 'Deployment');
    assert.equal(calls, 1);
    await assert.rejects(m.mappings('example.com', 'Widget'));
    assert.equal(calls, 1);
    served = [...discovery, resource('example.com', 'v1', 'widgets', 'Widget')];
    now = 6_000;
    assert.equal((await m.mappings('example.com', 'Widget'))[0].resource, 'widgets');
    assert.equal(calls, 2);
  });
  it('the preferred version first', async () => {
    const m = mapper([resource('apps', 'v1beta1', 'deployments', 'Deployment', false), resource('apps', 'v1', 'deployments', 'Deployment', true)]);
    assert.deepEqual((await m.mappings('apps', 'Deployment')).map((r) => r.version), ['v1', 'v1beta1']);
  });
  it('parseGroupVersion', () => {
    assert.deepEqual(parseGroupVersion('apps/v1'), { group: 'apps', version: 'v1' });
    assert.deepEqual(parseGroupVersion('v1'), { group: '', version: 'v1' });
    assert.deepEqual(parseGroupVersion(undefined), { group: '', version: '' });
    assert.throws(() => parseGroupVersion('a/b/c'), { message: 'unexpected GroupVersion string: a/b/c' });
  });
});
