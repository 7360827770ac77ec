import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { Controller, type ControllerContext } from '../controller.js';
import type { Client } from '../client.js';
import type { InformerFactory } from '../informer-factory.js';
import { LeaderElector } from '../leader-election.js';
import { WorkQueue } from '../workqueue.js';
import { ControllerManagerMetrics, LeaderElectionMetrics, WorkQueueMetrics, workQueueBuckets } from './index.js';
import { promtool, promtoolCheck } from './testing.js';

/** The value of one series in an exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('work queue metrics', () => {
  it("uses client-go's buckets: 10 ns to 10 s by tens", () => {
    assert.deepEqual(workQueueBuckets, [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10]);
  });

  it('counts adds and depth, times waiting and work, and sees work still in progress', async () => {
    let now = 1_000_000;
    const registry = new Registry();
    const metrics = new WorkQueueMetrics(registry, { now: () => now });
    const queue = new WorkQueue<string>({ name: 'replicaset', metrics });
    queue.add('a');
    queue.add('a'); // already waiting: not an add
    queue.add('b');
    let text = await registry.metrics();
    assert.equal(sample(text, 'workqueue_adds_total{name="replicaset"}'), 2);
    assert.equal(sample(text, 'workqueue_depth{name="replicaset"}'), 2);
    now += 2000;
    const key = await queue.get();
    queue.add(key!); // changed while processing: an add, and counted in depth as client-go does
    now += 500;
    text = await registry.metrics();
    assert.equal(sample(text, 'workqueue_queue_duration_seconds_count{name="replicaset"}'), 1);
    assert.equal(sample(text, 'workqueue_queue_duration_seconds_bucket{le="1",name="replicaset"}'), 0);
    assert.equal(sample(text, 'workqueue_queue_duration_seconds_bucket{le="10",name="replicaset"}'), 1);
    assert.equal(sample(text, 'workqueue_unfinished_work_seconds{name="replicaset"}'), 0.5);
    assert.equal(sample(text, 'workqueue_longest_running_processor_seconds{name="replicaset"}'), 0.5);
    queue.done(key!); // back in the queue, not a new add
    text = await registry.metrics();
    assert.equal(sample(text, 'workqueue_adds_total{name="replicaset"}'), 3);
    assert.equal(sample(text, 'workqueue_work_duration_seconds_sum{name="replicaset"}'), 0.5);
    assert.equal(sample(text, 'workqueue_unfinished_work_seconds{name="replicaset"}'), 0);
    assert.equal(queue.length, 2);
  });

  it('counts every delayed add as a retry, and drops its depth when the queue stops', async () => {
    const registry = new Registry();
    const queue = new WorkQueue<string>({ name: 'deployment', metrics: new WorkQueueMetrics(registry) });
    queue.addRateLimited('a');
    queue.addAfter('b', 0);
    queue.add('c');
    let text = await registry.metrics();
    assert.equal(sample(text, 'workqueue_retries_total{name="deployment"}'), 2);
    assert.equal(sample(text, 'workqueue_depth{name="deployment"}'), 2);
    queue.shutDown();
    text = await registry.metrics();
    assert.equal(sample(text, 'workqueue_depth{name="deployment"}'), 0);
  });

  it('reports nothing for a queue without a name', async () => {
    const registry = new Registry();
    const queue = new WorkQueue<string>({ metrics: new WorkQueueMetrics(registry) });
    queue.add('a');
    assert.doesNotMatch(await registry.metrics(), /^workqueue_adds_total\{/m);
  });

  it("names a controller's queue as kube-controller-manager does", async () => {
    const metrics = new ControllerManagerMetrics({ processMetrics: false });
    const informer = { addEventHandler() {}, waitForSync: async () => {} };
    const context = {
      informers: { informerFor: () => informer } as unknown as InformerFactory,
      workQueueMetrics: metrics.workQueues,
    } as unknown as ControllerContext;
    const resource = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true };
    const reconciled: string[] = [];
    const stop = new AbortController();
    const controller = new Controller({ name: 'endpointslice', for: resource, reconcile: async (key) => void reconciled.push(key) }, context);
    controller.queue.add('default/web');
    const running = controller.run(stop.signal);
    while (!reconciled.length) await new Promise((resolve) => setImmediate(resolve));
    stop.abort();
    await running;
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'workqueue_adds_total{name="endpoint_slice"}'), 1);
    assert.equal(sample(text, 'workqueue_work_duration_seconds_count{name="endpoint_slice"}'), 1);
    assert.equal(sample(text, 'workqueue_depth{name="endpoint_slice"}'), 0);
  });
});

describe('leader election metrics', () => {
  it('is 0 for a candidate, 1 while it leads, 0 again after', async () => {
    const registry = new Registry();
    const metrics = new LeaderElectionMetrics(registry);
    let stored: unknown;
    const leases = { find: async () => stored, create: async (lease: unknown) => (stored = lease), update: async (lease: unknown) => (stored = lease) };
    const client = { resource: () => leases } as unknown as Client;
    const stop = new AbortController();
    let whileLeading: number | undefined;
    const elector = new LeaderElector(client, {
      name: 'kube-controller-manager',
      metrics,
      retryPeriodMs: 10,
      onStartedLeading: async () => {
        whileLeading = sample(await registry.metrics(), 'leader_election_master_status{name="kube-controller-manager"}');
        stop.abort();
      },
    });
    assert.equal(sample(await registry.metrics(), 'leader_election_master_status{name="kube-controller-manager"}'), 0);
    await elector.run(stop.signal);
    assert.equal(whileLeading, 1);
    assert.equal(sample(await registry.metrics(), 'leader_election_master_status{name="kube-controller-manager"}'), 0);
  });
});

describe('controller manager registry', () => {
  it('holds the client families with their help texts and the process families', async () => {
    const metrics = new ControllerManagerMetrics();
    const queue = new WorkQueue<string>({ name: 'job', metrics: metrics.workQueues });
    queue.add('a');
    metrics.leaderElection.leaderOn('kube-controller-manager');
    metrics.restClient.requestResult('200', 'get', '127.0.0.1:6443');
    metrics.restClient.requestResult('ECONNRESET', 'get', '127.0.0.1:6443');
    metrics.restClient.requestLatency('get', '127.0.0.1:6443', 0.01);
    const text = await metrics.registry.metrics();
    assert.match(text, /^# HELP workqueue_adds_total \[ALPHA\] Total number of adds handled by workqueue$/m);
    assert.match(text, /^# TYPE workqueue_queue_duration_seconds histogram$/m);
    assert.match(text, /^rest_client_requests_total\{code="200",method="GET",host="127.0.0.1:6443"\} 1$/m);
    assert.match(text, /^rest_client_requests_total\{code="<error>",method="GET",host="127.0.0.1:6443"\} 1$/m);
    assert.match(text, /^rest_client_request_duration_seconds_bucket\{le="0.025",verb="GET",host="127.0.0.1:6443"\} 1$/m);
    assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
    assert.match(text, /^process_start_time_seconds \d+$/m);
  });

  it('passes promtool check metrics', { skip: promtool ? false : 'needs promtool' }, async () => {
    const metrics = new ControllerManagerMetrics();
    const queue = new WorkQueue<string>({ name: 'job', metrics: metrics.workQueues });
    queue.add('a');
    await queue.get();
    metrics.leaderElection.leaderOff('kube-controller-manager');
    metrics.restClient.requestResult('201', 'POST', '10.0.0.1:6443');
    metrics.restClient.requestLatency('POST', '10.0.0.1:6443', 0.2);
    const { status, output } = promtoolCheck(await metrics.registry.metrics());
    assert.equal(status, 0, output);
    assert.equal(output, '');
  });
});
