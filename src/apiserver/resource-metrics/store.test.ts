/** Rates, windows and timestamps by metrics-server's storage rules (its node_test and pod_test cases), and pruning. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsPoint, NodeBatch } from './decode.js';
import { ResourceMetricsStore } from './store.js';

const coreSecond = 1e9;
const MiB = 1024 * 1024;
const start = Date.parse('2026-03-01T10:00:00Z');
const s = (seconds: number) => start + seconds * 1000;

const point = (startTimeMs: number, timestampMs: number, cpuNanoseconds: number, memoryBytes: number): MetricsPoint => ({ startTimeMs, timestampMs, cpuNanoseconds, memoryBytes });
const nodeBatch = (node?: MetricsPoint): NodeBatch => ({ node, pods: new Map() });
const podBatch = (containers: Record<string, MetricsPoint>, pod = 'ns1/pod1'): NodeBatch => ({ pods: new Map([[pod, new Map(Object.entries(containers))]]) });

describe('node points', () => {
  const cases: { name: string; batches: (MetricsPoint | undefined)[]; expect?: { cpuNanocores: number; memoryBytes: number; timestampMs: number; windowMs: number } }[] = [
    { name: 'one batch is not enough', batches: [point(start, s(10), 10 * coreSecond, 2 * MiB)] },
    {
      name: 'two batches give the rate between them',
      batches: [point(start, s(10), 10 * coreSecond, 2 * MiB), point(start, s(20), 20 * coreSecond, 3 * MiB)],
      expect: { cpuNanocores: coreSecond, memoryBytes: 3 * MiB, timestampMs: s(20), windowMs: 10_000 },
    },
    { name: 'a batch without the node forgets it', batches: [point(start, s(10), 10 * coreSecond, 2 * MiB), point(start, s(20), 20 * coreSecond, 3 * MiB), undefined] },
    { name: 'the same point twice is one point', batches: [point(start, s(10), 10 * coreSecond, 2 * MiB), point(start, s(10), 10 * coreSecond, 2 * MiB)] },
    { name: 'a restarted node (counter went back) has no usage', batches: [point(start, s(10), 10 * coreSecond, 2 * MiB), point(s(15), s(20), 5 * coreSecond, 3 * MiB)] },
    { name: 'a decreased CPU counter has no usage', batches: [point(start, s(15), 50 * coreSecond, 3 * MiB), point(start, s(25), 10 * coreSecond, 5 * MiB)] },
    {
      name: 'a point older than the previous one leaves nothing',
      batches: [point(start, s(15), 10 * coreSecond, 3 * MiB), point(start, s(35), 50 * coreSecond, 5 * MiB), point(start, s(5), 6 * coreSecond, 2 * MiB)],
    },
    {
      name: 'a point between previous and last keeps the previous',
      batches: [point(start, s(15), 10 * coreSecond, 1 * MiB), point(start, s(35), 50 * coreSecond, 4 * MiB), point(start, s(25), 35 * coreSecond, 2 * MiB)],
      expect: { cpuNanocores: 2.5 * coreSecond, memoryBytes: 2 * MiB, timestampMs: s(25), windowMs: 10_000 },
    },
    {
      name: 'a zero start time is fine',
      batches: [point(0, s(10), 10 * coreSecond, 2 * MiB), point(0, s(20), 20 * coreSecond, 3 * MiB)],
      expect: { cpuNanocores: coreSecond, memoryBytes: 3 * MiB, timestampMs: s(20), windowMs: 10_000 },
    },
    {
      name: 'a sub-second window (a primed node) still gives a rate',
      batches: [point(0, s(10), 10 * coreSecond, 2 * MiB), point(0, s(11), 10.25 * coreSecond, 2 * MiB)],
      expect: { cpuNanocores: 250_000_000, memoryBytes: 2 * MiB, timestampMs: s(11), windowMs: 1000 },
    },
  ];
  for (const { name, batches, expect } of cases) {
    it(name, () => {
      const store = new ResourceMetricsStore(60_000);
      for (const node of batches) store.store('node1', nodeBatch(node));
      assert.deepEqual(store.nodeUsage('node1'), expect);
      assert.equal(store.nodeUsage('node2'), undefined);
    });
  }
});

describe('pod points', () => {
  type Expect = { timestampMs?: number; windowMs: number; containers: { name: string; cpuNanocores: number; memoryBytes: number }[] };
  const cases: { name: string; batches: Record<string, MetricsPoint>[]; expect?: Expect }[] = [
    {
      name: 'two batches give each container\'s rate',
      batches: [{ container1: point(start, s(120), 1 * coreSecond, 4 * MiB) }, { container1: point(start, s(125), 6 * coreSecond, 5 * MiB) }],
      expect: { timestampMs: s(125), windowMs: 5000, containers: [{ name: 'container1', cpuNanocores: coreSecond, memoryBytes: 5 * MiB }] },
    },
    {
      name: 'the pod\'s timestamp and window are its earliest container\'s',
      batches: [
        { container1: point(start, s(110), 1 * coreSecond, 4 * MiB), container2: point(start, s(115), 2 * coreSecond, 5 * MiB) },
        { container1: point(start, s(120), 6 * coreSecond, 6 * MiB), container2: point(start, s(125), 7 * coreSecond, 7 * MiB) },
      ],
      expect: {
        timestampMs: s(120),
        windowMs: 10_000,
        containers: [
          { name: 'container1', cpuNanocores: 0.5 * coreSecond, memoryBytes: 6 * MiB },
          { name: 'container2', cpuNanocores: 0.5 * coreSecond, memoryBytes: 7 * MiB },
        ],
      },
    },
    { name: 'the same point twice is one point', batches: [{ c: point(start, s(110), coreSecond, 4 * MiB) }, { c: point(start, s(110), coreSecond, 4 * MiB) }] },
    {
      name: 'a restart uses the new start time as the previous point',
      batches: [{ container1: point(start, s(10), 1 * coreSecond, 4 * MiB) }, { container1: point(s(15), s(25), 5 * coreSecond, 5 * MiB) }],
      expect: { timestampMs: s(25), windowMs: 10_000, containers: [{ name: 'container1', cpuNanocores: 500_000_000, memoryBytes: 5 * MiB }] },
    },
    {
      name: 'a decreased CPU counter leaves the container out, not the pod',
      batches: [{ container1: point(start, s(110), 20 * coreSecond, 4 * MiB) }, { container1: point(start, s(120), 10 * coreSecond, 4 * MiB) }],
      expect: { timestampMs: undefined, windowMs: 0, containers: [] },
    },
    {
      name: 'a point older than the previous one leaves nothing',
      batches: [{ c: point(start, s(1115), 20 * coreSecond, 4 * MiB) }, { c: point(start, s(1125), 40 * coreSecond, 4 * MiB) }, { c: point(start, s(115), 10 * coreSecond, 4 * MiB) }],
    },
    {
      name: 'a point between previous and last keeps the previous',
      batches: [{ container1: point(start, s(115), 10 * coreSecond, 4 * MiB) }, { container1: point(start, s(125), 50 * coreSecond, 5 * MiB) }, { container1: point(start, s(120), 35 * coreSecond, 5 * MiB) }],
      expect: { timestampMs: s(120), windowMs: 5000, containers: [{ name: 'container1', cpuNanocores: 5 * coreSecond, memoryBytes: 5 * MiB }] },
    },
    { name: 'a long-running container needs two batches', batches: [{ c: point(start, s(120), coreSecond, 4 * MiB) }] },
    {
      name: 'a fresh container uses its start time at once',
      batches: [{ container1: point(start, s(10), 10 * coreSecond, 4 * MiB) }],
      expect: { timestampMs: s(10), windowMs: 10_000, containers: [{ name: 'container1', cpuNanocores: coreSecond, memoryBytes: 4 * MiB }] },
    },
    { name: 'a start time after the timestamp is not used', batches: [{ c: point(start, s(-10), 10 * coreSecond, 4 * MiB) }] },
    { name: 'a container younger than 10 s is not trusted', batches: [{ c: point(start, s(9), 10 * coreSecond, 4 * MiB) }] },
    {
      name: 'a zero start time is fine',
      batches: [{ container1: point(0, s(120), 1 * coreSecond, 4 * MiB) }, { container1: point(0, s(125), 6 * coreSecond, 5 * MiB) }],
      expect: { timestampMs: s(125), windowMs: 5000, containers: [{ name: 'container1', cpuNanocores: coreSecond, memoryBytes: 5 * MiB }] },
    },
    {
      name: 'a pod shows only when all its containers have two points',
      batches: [
        { container1: point(start, s(110), 1 * coreSecond, 4 * MiB) },
        { container1: point(start, s(120), 6 * coreSecond, 6 * MiB), container2: point(start, s(120), 8 * coreSecond, 5 * MiB) },
      ],
    },
  ];
  for (const { name, batches, expect } of cases) {
    it(name, () => {
      const store = new ResourceMetricsStore(60_000);
      for (const containers of batches) store.store('node1', podBatch(containers));
      const usage = store.podUsage('node1', 'ns1', 'pod1');
      assert.deepEqual(
        usage && { timestampMs: usage.timestampMs, windowMs: usage.windowMs, containers: usage.containers.map((c) => ({ name: c.name, cpuNanocores: c.usage.cpuNanocores, memoryBytes: c.usage.memoryBytes })) },
        expect,
      );
    });
  }

  it('a container started within one resolution but after 10 s uses its start time only while younger than the resolution', () => {
    const store = new ResourceMetricsStore(15_000);
    store.store('node1', podBatch({ c: point(start, s(20), 10 * coreSecond, MiB) }));
    assert.equal(store.podUsage('node1', 'ns1', 'pod1'), undefined, '20 s old with a 15 s resolution: not fresh');
  });
});

describe('what is kept', () => {
  it('a scrape replaces the pods of its node: a pod gone from the node goes from the store', () => {
    const store = new ResourceMetricsStore(15_000);
    const batch = (pods: string[], at: number): NodeBatch => ({ pods: new Map(pods.map((pod) => [pod, new Map([['c', point(0, s(at), at * coreSecond, MiB)]])])) });
    store.store('node1', batch(['ns/a', 'ns/b'], 10));
    store.store('node1', batch(['ns/a', 'ns/b'], 25));
    assert.ok(store.podUsage('node1', 'ns', 'b'));
    store.store('node1', batch(['ns/a'], 40));
    assert.equal(store.podUsage('node1', 'ns', 'b'), undefined);
    assert.deepEqual(store.size(), { nodes: 1, containerPoints: 2 });
  });

  it('a failed scrape drops its node; retain drops nodes no longer scraped', () => {
    const store = new ResourceMetricsStore(15_000);
    for (const node of ['n1', 'n2', 'n3']) {
      store.store(node, nodeBatch(point(0, s(10), coreSecond, MiB)));
      store.store(node, nodeBatch(point(0, s(25), 2 * coreSecond, MiB)));
    }
    assert.equal(store.scrapesOf('n1'), 2);
    store.drop('n1');
    assert.equal(store.scrapesOf('n1'), 0);
    assert.equal(store.nodeUsage('n1'), undefined);
    store.retain(new Set(['n2']));
    assert.ok(store.nodeUsage('n2'));
    assert.equal(store.nodeUsage('n3'), undefined);
    assert.deepEqual(store.size(), { nodes: 1, containerPoints: 0 });
  });

  it('pods are found on the node they run on only', () => {
    const store = new ResourceMetricsStore(15_000);
    store.store('node1', podBatch({ c: point(start, s(12), 2 * coreSecond, MiB) }));
    assert.ok(store.podUsage('node1', 'ns1', 'pod1'));
    assert.equal(store.podUsage('node2', 'ns1', 'pod1'), undefined);
  });
});
