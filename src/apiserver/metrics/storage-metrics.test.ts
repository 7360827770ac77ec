/** Storage metrics: each store request counted and timed by upstream's operation names, list costs, the size gauge. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { openSqliteStore } from '../../storage/index.js';
import { StorageMetrics } from './storage-metrics.js';
import { MeasuredStore } from './measured-store.js';
import { groupResourceOfPrefix } from './storage-layer.js';

/** The value of one series in an exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('storage metrics', () => {
  it("names a storage prefix by upstream's group-resource", () => {
    const cases: [string, string][] = [
      ['/registry/pods/', 'pods'],
      ['/registry/apps/deployments/', 'deployments.apps'],
      ['/registry/rbac.authorization.k8s.io/clusterroles/', 'clusterroles.rbac.authorization.k8s.io'],
      ['/registry/events/', 'events'],
      ['/registry/example.com/widgets/', 'widgets.example.com'],
    ];
    for (const [prefix, resource] of cases) assert.equal(groupResourceOfPrefix(prefix), resource, prefix);
  });

  it('counts and times requests; refused preconditions are answers, a compacted read is an error', async () => {
    let now = 1000;
    const registry = new Registry();
    const metrics = new StorageMetrics(registry, { now: () => now });
    const inner = await openSqliteStore(':memory:');
    // Each creation takes 30 ms of the test's clock.
    const create = inner.create.bind(inner);
    inner.create = async (key, value) => {
      now += 30;
      return create(key, value);
    };
    const store = new MeasuredStore(inner, metrics.forResource('deployments.apps', '/registry/apps/deployments/'));
    try {
      const created = await store.create('/registry/apps/deployments/a/web', bytes('{}'));
      await assert.rejects(store.create('/registry/apps/deployments/a/web', bytes('{}')), /key exists/);
      await assert.rejects(store.update('/registry/apps/deployments/a/web', bytes('{"x":1}'), created.modRevision + 5), /revision conflict/);
      const updated = await store.update('/registry/apps/deployments/a/web', bytes('{"x":2}'), created.modRevision);
      await store.create('/registry/apps/deployments/a/api', bytes('{}'));
      assert.equal((await store.list('/registry/apps/deployments/')).items.length, 2);
      await store.delete('/registry/apps/deployments/a/api');
      await store.get('/registry/apps/deployments/a/web');
      await store.count('/registry/apps/deployments/');
      await inner.compact(updated.modRevision);
      await assert.rejects(store.list('/registry/apps/deployments/', { revision: created.modRevision }));

      const text = await registry.metrics();
      const requests = (operation: string, type = 'deployments.apps') => sample(text, `etcd_requests_total{operation="${operation}",type="${type}"}`);
      assert.equal(requests('create'), 3);
      assert.equal(requests('update'), 2);
      assert.equal(requests('list'), 2);
      assert.equal(requests('delete'), 1);
      assert.equal(requests('get'), 1);
      // Upstream names a count's series by its key prefix.
      assert.equal(requests('listWithCount', '/registry/apps/deployments/'), 1);
      assert.equal(sample(text, 'etcd_request_errors_total{operation="create",type="deployments.apps"}'), undefined);
      assert.equal(sample(text, 'etcd_request_errors_total{operation="update",type="deployments.apps"}'), undefined);
      assert.equal(sample(text, 'etcd_request_errors_total{operation="list",type="deployments.apps"}'), 1);
      assert.equal(sample(text, 'etcd_request_duration_seconds_count{operation="create",type="deployments.apps"}'), 3);
      assert.equal(sample(text, 'etcd_request_duration_seconds_sum{operation="create",type="deployments.apps"}'), 0.09);
      assert.equal(sample(text, 'etcd_request_duration_seconds_bucket{le="0.025",operation="create",type="deployments.apps"}'), 0);
      assert.equal(sample(text, 'etcd_request_duration_seconds_bucket{le="0.05",operation="create",type="deployments.apps"}'), 3);
      // Lists: the failed one counts too, with nothing read.
      assert.equal(sample(text, 'apiserver_storage_list_total{resource="deployments.apps"}'), 2);
      assert.equal(sample(text, 'apiserver_storage_list_fetched_objects_total{resource="deployments.apps"}'), 2);
      assert.equal(sample(text, 'apiserver_storage_list_evaluated_objects_total{resource="deployments.apps"}'), 2);
      assert.equal(sample(text, 'apiserver_storage_list_returned_objects_total{resource="deployments.apps"}'), 2);
    } finally {
      await inner.close();
    }
  });

  it('reports the store size when it is known, and not otherwise', async () => {
    const known = new Registry();
    new StorageMetrics(known, { sizeBytes: async () => 4096 });
    assert.match(await known.metrics(), /^# HELP apiserver_storage_size_bytes \[STABLE\] Size of the storage database file physically allocated in bytes\.\n# TYPE apiserver_storage_size_bytes gauge\napiserver_storage_size_bytes\{storage_cluster_id="etcd-0"\} 4096$/m);
    const unknown = new Registry();
    new StorageMetrics(unknown, { sizeBytes: () => undefined });
    assert.doesNotMatch(await unknown.metrics(), /^apiserver_storage_size_bytes\{/m);
    const absent = new Registry();
    new StorageMetrics(absent);
    assert.doesNotMatch(await absent.metrics(), /apiserver_storage_size_bytes/);
  });
});
