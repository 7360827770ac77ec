/** metrics.k8s.io's formats (Go's duration text, metrics-server's quantities), table cells and read hooks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../machinery/status.js';
import { cpuQuantity, formatGoDuration, memoryQuantity, nodemetrics, podmetrics, type NodeMetrics, type PodMetrics, type ResourceMetricsReader } from './index.js';

describe('formatGoDuration (time.Duration.String, upstream\'s table)', () => {
  const ns = 1e-6;
  const cases: [string, number][] = [
    ['0s', 0],
    ['1ns', 1 * ns],
    ['1.1µs', 1100 * ns],
    ['2.2ms', 2.2],
    ['3.3s', 3300],
    ['4m5s', 4 * 60_000 + 5000],
    ['4m5.001s', 4 * 60_000 + 5001],
    ['5h6m7.001s', 5 * 3_600_000 + 6 * 60_000 + 7001],
    ['8m0.000000001s', 8 * 60_000 + 1 * ns],
    ['1m0s', 60_000],
    ['1h0m0s', 3_600_000],
    ['15.012s', 15_012],
    ['-1.5s', -1500],
  ];
  for (const [text, ms] of cases) it(`${ms} ms → ${text}`, () => assert.equal(formatGoDuration(ms), text));
});

describe('usage quantities as metrics-server writes them', () => {
  const cpu: [number, string][] = [
    [0, '0'],
    [1234567, '1234567n'],
    [1_000_000, '1m'],
    [1_500_000, '1500u'],
    [250_000_000, '250m'],
    [2_000_000_000, '2'],
    [2_000_000_001.9, '2000000001n'],
  ];
  for (const [nanocores, text] of cpu) it(`cpu ${nanocores} nanocores → ${text}`, () => assert.equal(cpuQuantity(nanocores), text));
  const memory: [number, string][] = [
    [0, '0'],
    [1000, '1k'],
    [1023, '1023'],
    [1025, '1025'],
    [12345 * 1024, '12345Ki'],
    [5 * 1024 * 1024, '5Mi'],
    [12533760, '12240Ki'],
  ];
  for (const [bytes, text] of memory) it(`memory ${bytes} bytes → ${text}`, () => assert.equal(memoryQuantity(bytes), text));
});

const node: NodeMetrics = { metadata: { name: 'n1', creationTimestamp: '2026-03-01T10:00:00Z' }, timestamp: '2026-03-01T10:00:00Z', window: '15.012s', usage: { cpu: '1500u', memory: '12345Ki' } };
const pod: PodMetrics = {
  metadata: { name: 'p1', namespace: 'ns', creationTimestamp: '2026-03-01T10:00:00Z' },
  timestamp: '2026-03-01T10:00:00Z',
  window: '10s',
  containers: [
    { name: 'a', usage: { cpu: '1500u', memory: '1Mi' } },
    { name: 'b', usage: { cpu: '500000n', memory: '1Mi' } },
  ],
};

describe('table cells (metrics-server: Name, cpu, memory, Window)', () => {
  it('nodes show their usage', () => {
    assert.deepEqual(nodemetrics.table!.columns.map((c) => c.name), ['Name', 'cpu', 'memory', 'Window']);
    assert.deepEqual(nodemetrics.table!.cells(node, new Date()), ['n1', '1500u', '12345Ki', '15.012s']);
  });
  it('pods show the sum over their containers', () => {
    assert.deepEqual(podmetrics.table!.cells(pod, new Date()), ['p1', '2m', '2Mi', '10s']);
    assert.deepEqual(podmetrics.table!.cells({ ...pod, containers: [] }, new Date()), ['p1', '0', '0', '10s']);
  });
});

describe('read hooks', () => {
  const reader: ResourceMetricsReader = {
    nodeMetrics: async (name) => (name === 'n1' ? node : undefined),
    listNodeMetrics: async () => [node],
    podMetrics: async (_namespace, name) => (name === 'p1' ? pod : undefined),
    listPodMetrics: async () => [pod],
  };
  const notFound = (message: string) => (err: unknown) => err instanceof StatusError && err.code === 404 && err.status.message === message;

  it('a get carries kind and apiVersion; list items do not', async () => {
    assert.deepEqual(await nodemetrics.computed!.get(undefined, 'n1', { resourceMetrics: reader }), { kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', ...node });
    assert.deepEqual(await podmetrics.computed!.list('ns', { resourceMetrics: reader }), [pod]);
  });

  it('no metrics yet is metrics-server\'s 404, naming nodemetrics and podmetrics', async () => {
    await assert.rejects(nodemetrics.computed!.get(undefined, 'n2', { resourceMetrics: reader }), notFound('nodemetrics.metrics.k8s.io "n2" not found'));
    await assert.rejects(podmetrics.computed!.get('ns', 'p2', { resourceMetrics: reader }), notFound('podmetrics.metrics.k8s.io "ns/p2" not found'));
  });

  it('without a metrics source the group answers as an unavailable aggregated API', async () => {
    await assert.rejects(nodemetrics.computed!.list(undefined, {}), (err: unknown) => err instanceof StatusError && err.code === 503);
  });
});
