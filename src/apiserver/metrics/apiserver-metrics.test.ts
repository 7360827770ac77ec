/**
 * The watch and storage families on a real in-process apiserver: a create, a
 * list and a watch, then /metrics holds their series with upstream's labels,
 * and promtool has nothing to say about the whole exposition.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing.js';
import { promtool, promtoolCheck } from '../../client/metrics/testing.js';

/** The value of one series in an exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('apiserver watch and storage metrics', () => {
  let api: TestServer;
  let exposition: string;
  let created: { metadata: { resourceVersion: string } };

  before(async () => {
    api = await startTestServer({ bookmarkIntervalMs: 60_000 });
    const watch = await api.watch('/api/v1/namespaces/default/configmaps?watch=1');
    const res = await api.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' }, data: { a: 'b' } });
    assert.equal(res.status, 201);
    created = res.json();
    const event = await watch.next();
    assert.equal(event.type, 'ADDED');
    watch.close();
    // A paginated list reads storage (an unpaginated one is served from the watch cache).
    assert.equal((await api.request('GET', '/api/v1/namespaces/default/configmaps?limit=1')).status, 200);
    const metrics = await api.request('GET', '/metrics');
    assert.equal(metrics.status, 200);
    exposition = metrics.body;
  });
  after(async () => {
    await api?.close();
  });

  it('counts the events sent to watchers by served kind, with their sizes', () => {
    assert.ok(sample(exposition, 'apiserver_watch_events_total{group="",version="v1",kind="ConfigMap"}')! >= 1);
    assert.ok(sample(exposition, 'apiserver_watch_events_sizes_bucket{le="1024",group="",version="v1",kind="ConfigMap"}')! >= 1);
    assert.ok(sample(exposition, 'apiserver_watch_events_sizes_count{group="",version="v1",kind="ConfigMap"}')! >= 1);
  });

  it("counts each watch cache's events and initialization, and reports its revision", () => {
    assert.equal(sample(exposition, 'apiserver_watch_cache_initializations_total{resource="configmaps"}'), 1);
    assert.equal(sample(exposition, 'apiserver_watch_cache_initializations_total{resource="deployments.apps"}'), 1);
    assert.ok(sample(exposition, 'apiserver_watch_cache_events_received_total{resource="configmaps"}')! >= 1);
    assert.ok(sample(exposition, 'apiserver_watch_cache_events_dispatched_total{resource="configmaps"}')! >= 1);
    assert.ok(sample(exposition, 'apiserver_watch_cache_resource_version{resource="configmaps"}')! >= Number(created.metadata.resourceVersion));
  });

  it('counts and times the requests to storage by operation and resource, and what lists read', () => {
    assert.equal(sample(exposition, 'etcd_requests_total{operation="create",type="configmaps"}'), 1);
    assert.equal(sample(exposition, 'etcd_request_duration_seconds_count{operation="create",type="configmaps"}'), 1);
    // The watch cache's initial list and the paginated list.
    assert.ok(sample(exposition, 'etcd_requests_total{operation="list",type="configmaps"}')! >= 2);
    assert.ok(sample(exposition, 'etcd_requests_total{operation="list",type="clusterroles.rbac.authorization.k8s.io"}')! >= 1);
    assert.ok(sample(exposition, 'apiserver_storage_list_total{resource="configmaps"}')! >= 2);
    assert.ok(sample(exposition, 'apiserver_storage_list_fetched_objects_total{resource="configmaps"}')! >= 1);
    assert.match(exposition, /^# TYPE etcd_request_duration_seconds histogram$/m);
    assert.match(exposition, /^# TYPE apiserver_watch_cache_resource_version gauge$/m);
  });

  it('passes promtool as a whole', { skip: promtool ? false : 'needs promtool (Debian prometheus)' }, () => {
    const check = promtoolCheck(exposition);
    assert.equal(check.status, 0, check.output);
    assert.equal(check.output, '');
  });
});
