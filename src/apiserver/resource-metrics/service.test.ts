/**
 * The scraper in virtual time: lazy start and priming, the resolution loop,
 * bounds (priming, waiting, concurrency, deadlines), pruning and idling —
 * over a fake cluster and fake node agents that report usage at fixed rates.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../machinery/status.js';
import type { ClusterView, MetricsNode, MetricsPod } from './cluster-view.js';
import type { ScrapeTarget } from './scrape.js';
import { ResourceMetricsService, type ResourceMetricsOptions } from './service.js';
import { FakeScheduler, settle } from './testing.js';

const readyNode = (name: string, labels: Record<string, string> = {}): MetricsNode => ({
  metadata: { name, labels },
  status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } }, conditions: [{ type: 'Ready', status: 'True' }] },
});

const runningPod = (namespace: string, name: string, nodeName: string, labels: Record<string, string> = {}): MetricsPod => ({
  metadata: { namespace, name, labels },
  spec: { nodeName },
  status: { phase: 'Running' },
});

interface Agent {
  /** Cores the node uses. */
  cores: number;
  /** Containers on the node: `namespace/pod/container` → cores. */
  containers: Record<string, number>;
  /** Makes the agent fail (or hang) instead of answering. */
  behaviour?: 'fail' | 'hang';
}

/** A fake cluster and its agents: every exposition reports cumulative CPU at the agents' rates up to "now". */
function cluster(options: ResourceMetricsOptions = {}) {
  const scheduler = new FakeScheduler();
  const t0 = scheduler.now();
  const nodes: MetricsNode[] = [];
  const pods: MetricsPod[] = [];
  const agents = new Map<string, Agent>();
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const releases: (() => void)[] = [];
  const exposition = (agent: Agent, now: number) => {
    const seconds = (now - t0) / 1000 + 100;
    const lines = [`node_cpu_usage_seconds_total ${agent.cores * seconds} ${now}`, `node_memory_working_set_bytes ${1024 * 1024 * 1024} ${now}`];
    for (const [key, cores] of Object.entries(agent.containers)) {
      const [namespace, pod, container] = key.split('/');
      const labels = `container="${container}",namespace="${namespace}",pod="${pod}"`;
      lines.push(`container_cpu_usage_seconds_total{${labels}} ${cores * seconds} ${now}`);
      lines.push(`container_memory_working_set_bytes{${labels}} ${64 * 1024 * 1024} ${now}`);
      lines.push(`container_start_time_seconds{${labels}} ${(t0 - 3_600_000) / 1000} ${now}`);
    }
    return lines.join('\n');
  };
  const fetch = async (target: ScrapeTarget, signal: AbortSignal): Promise<string> => {
    calls.push(target.nodeName);
    const agent = agents.get(target.nodeName);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (!agent || agent.behaviour === 'fail') throw new Error('request failed, status: "404 Not Found"');
      if (agent.behaviour === 'hang') await new Promise<void>((resolve) => (releases.push(resolve), signal.addEventListener('abort', () => resolve())));
      return exposition(agent, scheduler.now());
    } finally {
      inFlight--;
    }
  };
  const view: ClusterView = {
    nodes: async () => nodes,
    node: async (name) => nodes.find((n) => n.metadata.name === name),
    pods: async (namespace) => pods.filter((p) => namespace === undefined || p.metadata.namespace === namespace),
    pod: async (namespace, name) => pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === name),
  };
  const logs: Record<string, unknown>[] = [];
  const service = new ResourceMetricsService(view, { scheduler, fetch, ...options }, (event) => logs.push(event));
  return { scheduler, t0, nodes, pods, agents, calls, service, logs, maxInFlight: () => maxInFlight, releases };
}

const callsFor = (calls: string[], node: string) => calls.filter((c) => c === node).length;

describe('ResourceMetricsService', () => {
  it('starts on the first read and primes: one scrape now, one a second later, so the answer comes in about a second', async () => {
    const c = cluster();
    c.nodes.push(readyNode('n1', { zone: 'a' }));
    c.agents.set('n1', { cores: 0.25, containers: {} });
    assert.equal(c.service.scraping, false);
    const metrics = await c.scheduler.run(c.service.listNodeMetrics());
    assert.equal(c.scheduler.now() - c.t0, 1000);
    assert.equal(callsFor(c.calls, 'n1'), 2);
    assert.deepEqual(metrics, [
      {
        metadata: { name: 'n1', creationTimestamp: '2026-03-01T10:00:01Z', labels: { zone: 'a' } },
        timestamp: '2026-03-01T10:00:01Z',
        window: '1s',
        usage: { cpu: '250m', memory: '1Gi' },
      },
    ]);
    assert.equal(c.service.scraping, true);
  });

  it('later reads scrape nothing; every resolution each Ready node is scraped and the window grows to the interval', async () => {
    const c = cluster();
    c.nodes.push(readyNode('n1'));
    c.agents.set('n1', { cores: 2, containers: {} });
    await c.scheduler.run(c.service.listNodeMetrics());
    await c.service.nodeMetrics('n1');
    assert.equal(callsFor(c.calls, 'n1'), 2);
    await c.scheduler.advance(15_000 - 1000);
    await c.service.settled();
    assert.equal(callsFor(c.calls, 'n1'), 3, 'the tick at 15 s');
    const [metrics] = await c.service.listNodeMetrics();
    assert.equal(metrics.window, '14s');
    assert.equal(metrics.timestamp, '2026-03-01T10:00:15Z');
    assert.equal(metrics.usage.cpu, '2');
    await c.scheduler.advance(15_000);
    await c.service.settled();
    assert.equal((await c.service.nodeMetrics('n1'))!.window, '15s');
  });

  it('each node is primed at most twice; a failing agent is then left to the resolution loop, its failure said once', async () => {
    const c = cluster();
    c.nodes.push(readyNode('bad'));
    c.agents.set('bad', { cores: 1, containers: {}, behaviour: 'fail' });
    for (let i = 0; i < 4; i++) assert.equal(await c.scheduler.run(c.service.nodeMetrics('bad')), undefined);
    assert.equal(callsFor(c.calls, 'bad'), 2);
    const failures = c.logs.filter((e) => e.msg === 'Failed to scrape node');
    assert.deepEqual(failures.map((e) => e.v), [0, 2]);
    assert.equal(failures[0].error, 'request failed, status: "404 Not Found"');
  });

  it('a read waits for priming at most primingWaitMs; a hanging agent is given up at the scrape deadline', async () => {
    const c = cluster({ primingWaitMs: 3000, scrapeTimeoutMs: 10_000 });
    c.nodes.push(readyNode('slow'));
    c.agents.set('slow', { cores: 1, containers: {}, behaviour: 'hang' });
    assert.deepEqual(await c.scheduler.run(c.service.listNodeMetrics()), []);
    assert.equal(c.scheduler.now() - c.t0, 3000);
    await c.scheduler.advance(7000);
    await c.service.settled();
    assert.match(String(c.logs.find((e) => e.msg === 'Failed to scrape node')?.error), /timeout to access the node agent after 10000 ms/);
  });

  it('only Ready nodes with an InternalIP and an agent port are scraped', async () => {
    const c = cluster();
    const notReady = readyNode('not-ready');
    notReady.status!.conditions = [{ type: 'Ready', status: 'False' }];
    const noAddress = readyNode('no-address');
    noAddress.status!.addresses = [];
    const noPort = readyNode('no-port');
    noPort.status!.daemonEndpoints = {};
    c.nodes.push(notReady, noAddress, noPort, readyNode('ok'));
    for (const node of c.nodes) c.agents.set(node.metadata.name!, { cores: 1, containers: {} });
    const metrics = await c.scheduler.run(c.service.listNodeMetrics());
    assert.deepEqual(metrics.map((m) => m.metadata.name), ['ok']);
    assert.deepEqual([...new Set(c.calls)], ['ok']);
  });

  it('pods: running ones whose containers all have usage, with their labels, sorted; the earliest container sets the window', async () => {
    const c = cluster();
    c.nodes.push(readyNode('n1'), readyNode('n2'));
    c.agents.set('n1', { cores: 1, containers: { 'ns/web/app': 0.5, 'ns/web/sidecar': 0.001, 'other/db/db': 0.1 } });
    c.agents.set('n2', { cores: 1, containers: { 'ns/api/api': 1.5 } });
    c.pods.push(runningPod('ns', 'web', 'n1', { app: 'web' }), runningPod('other', 'db', 'n1'), runningPod('ns', 'api', 'n2'));
    c.pods.push({ ...runningPod('ns', 'pending', 'n1'), status: { phase: 'Pending' } });
    const all = await c.scheduler.run(c.service.listPodMetrics(undefined));
    assert.deepEqual(all.map((p) => `${p.metadata.namespace}/${p.metadata.name}`), ['ns/api', 'ns/web', 'other/db']);
    const web = all[1];
    assert.deepEqual(web.metadata, { name: 'web', namespace: 'ns', creationTimestamp: '2026-03-01T10:00:01Z', labels: { app: 'web' } });
    assert.deepEqual(web.containers, [
      { name: 'app', usage: { cpu: '500m', memory: '64Mi' } },
      { name: 'sidecar', usage: { cpu: '1m', memory: '64Mi' } },
    ]);
    assert.equal(web.window, '1s');
    assert.deepEqual((await c.service.listPodMetrics('other')).map((p) => p.metadata.name), ['db']);
    assert.equal((await c.service.podMetrics('ns', 'api'))!.containers[0].usage.cpu, '1500m');
  });

  it('NotFound as metrics-server\'s listers say it: node "x", pods "x" (missing or not running)', async () => {
    const c = cluster();
    c.pods.push({ ...runningPod('ns', 'done', 'n1'), status: { phase: 'Succeeded' } });
    const notFound = (message: string) => (err: unknown) => err instanceof StatusError && err.code === 404 && err.status.message === message;
    await assert.rejects(c.service.nodeMetrics('nope'), notFound('node "nope" not found'));
    await assert.rejects(c.service.podMetrics('ns', 'nope'), notFound('pods "nope" not found'));
    await assert.rejects(c.service.podMetrics('ns', 'done'), notFound('pods "done" not found'));
  });

  it('nodes and pods that go are forgotten at the next resolution: memory follows the cluster', async () => {
    const c = cluster();
    c.nodes.push(readyNode('n1'), readyNode('n2'));
    c.agents.set('n1', { cores: 1, containers: { 'ns/a/c': 0.1, 'ns/b/c': 0.1 } });
    c.agents.set('n2', { cores: 1, containers: { 'ns/z/c': 0.1 } });
    c.pods.push(runningPod('ns', 'a', 'n1'), runningPod('ns', 'b', 'n1'), runningPod('ns', 'z', 'n2'));
    await c.scheduler.run(c.service.listPodMetrics(undefined));
    assert.deepEqual(c.service.storeSize(), { nodes: 2, containerPoints: 6 });
    c.nodes.splice(1, 1);
    delete c.agents.get('n1')!.containers['ns/b/c'];
    await c.scheduler.advance(15_000);
    await c.service.settled();
    assert.deepEqual(c.service.storeSize(), { nodes: 1, containerPoints: 2 });
  });

  it('with no read for idleStopMs the loop stops and forgets; the next read starts it again', async () => {
    const c = cluster({ idleStopMs: 60_000 });
    c.nodes.push(readyNode('n1'));
    c.agents.set('n1', { cores: 1, containers: {} });
    await c.scheduler.run(c.service.listNodeMetrics());
    await c.scheduler.advance(75_000);
    await c.service.settled();
    assert.equal(c.service.scraping, false);
    assert.deepEqual(c.service.storeSize(), { nodes: 0, containerPoints: 0 });
    assert.equal(c.scheduler.pending(), 0, 'no timer left behind');
    const before = c.calls.length;
    const [again] = await c.scheduler.run(c.service.listNodeMetrics());
    assert.equal(again.window, '1s');
    assert.equal(c.calls.length - before, 2, 'primed again');
  });

  it('scrapes at most maxConcurrentScrapes at once', async () => {
    const c = cluster({ maxConcurrentScrapes: 2, primingWaitMs: 100 });
    for (let i = 0; i < 6; i++) {
      c.nodes.push(readyNode(`n${i}`));
      c.agents.set(`n${i}`, { cores: 1, containers: {}, behaviour: 'hang' });
    }
    await c.scheduler.run(c.service.listNodeMetrics());
    assert.equal(c.calls.length, 2);
    for (let i = 0; i < 6; i++) {
      c.releases.splice(0).forEach((release) => release());
      await settle();
    }
    assert.equal(c.calls.length, 6);
    assert.equal(c.maxInFlight(), 2);
  });

  it('stop ends scraping for good: no timers, reads still answer', async () => {
    const c = cluster();
    c.nodes.push(readyNode('n1'));
    c.agents.set('n1', { cores: 1, containers: {} });
    await c.scheduler.run(c.service.listNodeMetrics());
    c.service.stop();
    assert.equal(c.scheduler.pending(), 0);
    assert.deepEqual(await c.service.listNodeMetrics(), []);
    assert.equal(c.service.scraping, false);
  });
});
