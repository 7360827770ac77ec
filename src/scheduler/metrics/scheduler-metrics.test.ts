import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Client, EventRecorder, InformerFactory } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { promtool, promtoolCheck } from '../../client/metrics/testing.js';
import { Scheduler } from '../scheduler.js';
import { makeNode, makePod } from '../testing.js';
import type { Pod } from '../types.js';
import { SchedulerMetrics, attemptsLabel, exponentialBuckets } from './index.js';

/** Informers whose objects and events the test supplies: the scheduler sees exactly what it is told. */
class FakeInformer {
  readonly objects = new Map<string, KubeObject>();
  private readonly handlers: { add?(o: KubeObject): void; update?(a: KubeObject, b: KubeObject): void; delete?(o: KubeObject): void }[] = [];
  readonly lister = {
    get: (namespace: string | undefined, name: string) => this.objects.get(namespace ? `${namespace}/${name}` : name),
    list: () => [...this.objects.values()],
  };
  addEventHandler(handler: (typeof this.handlers)[number]): void {
    this.handlers.push(handler);
  }
  async waitForSync(): Promise<void> {}
  add(object: KubeObject): void {
    this.objects.set(keyOf(object), object);
    for (const handler of this.handlers) handler.add?.(object);
  }
  delete(object: KubeObject): void {
    this.objects.delete(keyOf(object));
    for (const handler of this.handlers) handler.delete?.(object);
  }
}

const keyOf = (object: KubeObject) => (object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name!);

function harness(metrics: SchedulerMetrics) {
  const informers = new Map<string, FakeInformer>();
  const informerFor = (ref: { resource: string }) => {
    let informer = informers.get(ref.resource);
    if (!informer) informers.set(ref.resource, (informer = new FakeInformer()));
    return informer;
  };
  const bound: string[] = [];
  const evicted: string[] = [];
  const client = {
    rest: { request: async (_method: string, path: string) => void bound.push(path.split('/')[6]) },
    resource: () => ({ patch: async () => ({}), delete: async (_ns: string, name: string) => void evicted.push(name) }),
  } as unknown as Client;
  const recorder = { event() {}, eventf() {}, flush: async () => {} } as unknown as EventRecorder;
  let now = Date.parse('2025-01-01T00:00:00Z');
  const scheduler = new Scheduler(client, { informerFor } as unknown as InformerFactory, recorder, { metrics, now: () => new Date(now), random: () => 0 });
  return {
    scheduler,
    bound,
    evicted,
    pods: informerFor({ resource: 'pods' }),
    nodes: informerFor({ resource: 'nodes' }),
    advance: (ms: number) => (now += ms),
  };
}

/** Waits (without timers) until `condition` holds, for two seconds at most. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('scheduler metrics', () => {
  it("has upstream's buckets", () => {
    assert.deepEqual(exponentialBuckets(0.001, 2, 15).slice(0, 4), [0.001, 0.002, 0.004, 0.008]);
    assert.equal(exponentialBuckets(0.001, 2, 15).at(-1), 16.384);
    assert.deepEqual(exponentialBuckets(1, 2, 7), [1, 2, 4, 8, 16, 32, 64]);
    assert.equal(attemptsLabel(3), '3');
    assert.equal(attemptsLabel(15), '15+');
  });

  it('records attempts, queues, extension points and plugins as pods are scheduled, rejected and retried', async () => {
    const metrics = new SchedulerMetrics({ processMetrics: false, pluginMetricsSamplePercent: 100 });
    const { scheduler, bound, pods, nodes, advance } = harness(metrics);
    nodes.add(makeNode('small', { cpu: '2' }));
    const stop = new AbortController();
    const running = scheduler.run(stop.signal);
    pods.add(makePod('fits', {}, { cpu: '1' }));
    pods.add(makePod('too-big', {}, { cpu: '8' }));
    pods.add(makePod('gated', { schedulingGates: [{ name: 'example.com/wait' }] }));
    await until(() => bound.includes('fits') && scheduler.stats.unschedulable === 1, 'one pod bound, one unschedulable');
    let text = await metrics.registry.metrics();
    assert.equal(sample(text, 'scheduler_schedule_attempts_total{result="scheduled",profile="default-scheduler"}'), 1);
    assert.equal(sample(text, 'scheduler_schedule_attempts_total{result="unschedulable",profile="default-scheduler"}'), 1);
    assert.equal(sample(text, 'scheduler_scheduling_attempt_duration_seconds_count{result="scheduled",profile="default-scheduler"}'), 1);
    assert.equal(sample(text, 'scheduler_pending_pods{queue="unschedulable"}'), 1);
    assert.equal(sample(text, 'scheduler_pending_pods{queue="gated"}'), 1);
    assert.equal(sample(text, 'scheduler_pending_pods{queue="active"}'), 0);
    assert.equal(sample(text, 'scheduler_queue_incoming_pods_total{queue="active",event="UnschedulablePodAdd"}'), 2, 'the gated pod never entered activeQ');
    assert.equal(sample(text, 'scheduler_queue_incoming_pods_total{queue="unschedulable",event="ScheduleAttemptFailure"}'), 1);
    assert.equal(sample(text, 'scheduler_pod_scheduling_attempts_count'), 1);
    assert.equal(sample(text, 'scheduler_pod_scheduling_sli_duration_seconds_count{attempts="1"}'), 1);
    assert.equal(sample(text, 'scheduler_framework_extension_point_duration_seconds_count{extension_point="PreFilter",status="Success",profile="default-scheduler"}'), 2);
    assert.equal(sample(text, 'scheduler_framework_extension_point_duration_seconds_count{extension_point="Bind",status="Success",profile="default-scheduler"}'), 1);
    assert.equal(sample(text, 'scheduler_framework_extension_point_duration_seconds_count{extension_point="PostFilter",status="Unschedulable",profile="default-scheduler"}'), 1);
    assert.match(text, /^scheduler_plugin_execution_duration_seconds_count\{plugin="NodeResourcesFit",extension_point="Filter",status="Success"\} 1$/m);
    assert.match(text, /^scheduler_plugin_execution_duration_seconds_count\{plugin="NodeResourcesFit",extension_point="Filter",status="Unschedulable"\} 1$/m);
    assert.match(text, /^scheduler_plugin_execution_duration_seconds_count\{plugin="DefaultBinder",extension_point="Bind",status="Success"\} 1$/m);
    assert.equal(sample(text, 'scheduler_preemption_attempts_total'), 1, 'DefaultPreemption ran for the pod that did not fit');

    // A bigger node: the parked pod goes back to activeQ (its backoff is over) and is bound at its second attempt.
    advance(60_000);
    nodes.add(makeNode('big', { cpu: '16' }));
    await until(() => bound.includes('too-big'), 'the big pod bound');
    text = await metrics.registry.metrics();
    assert.equal(sample(text, 'scheduler_queue_incoming_pods_total{queue="active",event="NodeAdd"}'), 1);
    assert.equal(sample(text, 'scheduler_pod_scheduling_sli_duration_seconds_count{attempts="2"}'), 1);
    assert.equal(sample(text, 'scheduler_pod_scheduling_sli_duration_seconds_bucket{le="40.96",attempts="2"}'), 0, 'a minute in the queue');
    assert.equal(sample(text, 'scheduler_pod_scheduling_sli_duration_seconds_bucket{le="81.92",attempts="2"}'), 1);
    assert.equal(sample(text, 'scheduler_pod_scheduling_attempts_bucket{le="2"}'), 2);
    stop.abort();
    await running;
    text = await metrics.registry.metrics();
    assert.equal(sample(text, 'scheduler_pending_pods{queue="gated"}'), 0, 'a stopped scheduler has nothing pending');
  });

  it('counts a preemption and its victims', async () => {
    const metrics = new SchedulerMetrics({ processMetrics: false, pluginMetricsSamplePercent: 0 });
    const { scheduler, evicted, pods, nodes } = harness(metrics);
    nodes.add(makeNode('only', { cpu: '2' }));
    pods.add(makePod('low-a', { priority: 0, nodeName: 'only' }, { cpu: '1' }));
    pods.add(makePod('low-b', { priority: 0, nodeName: 'only' }, { cpu: '1' }));
    const stop = new AbortController();
    const running = scheduler.run(stop.signal);
    pods.add(makePod('urgent', { priority: 1000 }, { cpu: '2' }));
    await until(() => evicted.length === 2 && scheduler.stats.unschedulable === 1, 'two victims evicted');
    stop.abort();
    await running;
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'scheduler_preemption_attempts_total'), 1);
    assert.equal(sample(text, 'scheduler_preemption_victims_bucket{le="1"}'), 0);
    assert.equal(sample(text, 'scheduler_preemption_victims_bucket{le="2"}'), 1);
    assert.equal(sample(text, 'scheduler_preemption_victims_sum'), 2);
    assert.doesNotMatch(text, /^scheduler_plugin_execution_duration_seconds_count/m, 'no cycle sampled at 0 %');
    assert.equal(sample(text, 'scheduler_queue_incoming_pods_total{queue="unschedulable",event="ScheduleAttemptFailure"}'), 1);
  });

  it('moves on the queue timer: backoff complete', async () => {
    const metrics = new SchedulerMetrics({ processMetrics: false });
    const { scheduler, advance } = harness(metrics);
    const pod: Pod = makePod('retry');
    scheduler.queue.add(pod);
    const info = (await scheduler.queue.pop())!;
    assert.equal(info.initialAttemptTimestamp, info.timestamp, 'the first attempt remembers when the pod entered the queue');
    scheduler.queue.requeueAfterError(info);
    advance(60_000);
    scheduler.queue.flush();
    scheduler.queue.close();
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'scheduler_queue_incoming_pods_total{queue="backoff",event="ScheduleAttemptFailure"}'), 1);
    assert.equal(sample(text, 'scheduler_queue_incoming_pods_total{queue="active",event="BackoffComplete"}'), 1);
  });

  it('exposes help texts with their stability and passes promtool', { skip: promtool ? false : 'needs promtool' }, async () => {
    const metrics = new SchedulerMetrics({ pluginMetricsSamplePercent: 100 });
    metrics.attempt('scheduled', 'default-scheduler', 0.01);
    metrics.podScheduled(1, 0.5);
    metrics.extensionPoint('Filter', 'Success', 'default-scheduler', 0.0001);
    metrics.plugin('NodeResourcesFit', 'Filter', 'Success', 0.00002);
    metrics.incomingPods('active', 'NodeAdd');
    metrics.preemptionAttempt();
    metrics.preemptionVictims(3);
    metrics.leaderElection.leaderOn('kube-scheduler');
    const text = await metrics.registry.metrics();
    assert.match(text, /^# HELP scheduler_schedule_attempts_total \[STABLE\] Number of attempts to schedule pods, by the result\./m);
    assert.match(text, /^# HELP scheduler_pod_scheduling_sli_duration_seconds \[BETA\] /m);
    assert.match(text, /^# TYPE scheduler_pending_pods gauge$/m);
    assert.match(text, /^leader_election_master_status\{name="kube-scheduler"\} 1$/m);
    assert.match(text, /^process_resident_memory_bytes \d+$/m);
    const { status, output } = promtoolCheck(text);
    assert.equal(status, 0, output);
    assert.equal(output, '');
  });
});
