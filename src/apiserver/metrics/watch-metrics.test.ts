/** Watch metrics: upstream's families, labels and buckets, recorded through the recorders the storage layer holds. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { WatchMetrics, watchEventSizeBuckets } from './watch-metrics.js';

/** The value of one series in an exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('watch metrics', () => {
  it("uses upstream's event size buckets: 1 KiB to 128 KiB, doubling", () => {
    assert.deepEqual(watchEventSizeBuckets, [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]);
  });

  it('counts events sent per served kind with their sizes, and lagging watchers per resource', async () => {
    const registry = new Registry();
    const metrics = new WatchMetrics(registry);
    const v1 = metrics.forWatchers({ group: 'apps', version: 'v1', kind: 'Deployment' }, 'deployments.apps');
    v1.eventSent('x'.repeat(1500));
    v1.eventSent('é'.repeat(600)); // 1200 bytes in UTF-8: sizes are bytes, not characters
    v1.eventSent('{}');
    v1.terminated();
    const text = await registry.metrics();
    assert.equal(sample(text, 'apiserver_watch_events_total{group="apps",version="v1",kind="Deployment"}'), 3);
    assert.equal(sample(text, 'apiserver_watch_events_sizes_bucket{le="1024",group="apps",version="v1",kind="Deployment"}'), 1);
    assert.equal(sample(text, 'apiserver_watch_events_sizes_bucket{le="2048",group="apps",version="v1",kind="Deployment"}'), 3);
    assert.equal(sample(text, 'apiserver_watch_events_sizes_sum{group="apps",version="v1",kind="Deployment"}'), 2702);
    assert.equal(sample(text, 'apiserver_terminated_watchers_total{resource="deployments.apps"}'), 1);
    assert.match(text, /^# TYPE apiserver_watch_events_sizes histogram$/m);
    assert.match(text, /^# HELP apiserver_watch_events_total \[ALPHA\] Number of events sent in watch clients$/m);
  });

  it("counts a cache's events and initializations, and reads its revision at scrape time", async () => {
    const registry = new Registry();
    const metrics = new WatchMetrics(registry);
    const recorder = metrics.forCache('pods');
    assert.doesNotMatch(await registry.metrics(), /^apiserver_watch_cache_resource_version\{/m, 'no revision before the cache is primed');
    const cache = { revision: 7 };
    recorder.initialized(cache);
    recorder.eventReceived();
    cache.revision = 9;
    const text = await registry.metrics();
    assert.equal(sample(text, 'apiserver_watch_cache_initializations_total{resource="pods"}'), 1);
    assert.equal(sample(text, 'apiserver_watch_cache_events_received_total{resource="pods"}'), 1);
    assert.equal(sample(text, 'apiserver_watch_cache_events_dispatched_total{resource="pods"}'), 1);
    assert.equal(sample(text, 'apiserver_watch_cache_resource_version{resource="pods"}'), 9);
  });
});
