/** Decoding /metrics/resource: metrics-server's decode_test cases, and junk that must not matter. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResourceMetrics, parseSample, type MetricsPoint, type NodeBatch } from './decode.js';

const coredns = 'kube-system/coredns-558bd4d5db-4dpjz';
const scrapeTime = Date.parse('2077-07-07T07:07:07Z');

const plain = (batch: NodeBatch) => ({
  node: batch.node,
  pods: Object.fromEntries([...batch.pods].map(([key, containers]) => [key, Object.fromEntries(containers)])),
});

const nodePoint: MetricsPoint = { startTimeMs: 0, timestampMs: Date.parse('2021-10-03T09:36:49.720Z'), cpuNanoseconds: 357354910000, memoryBytes: 1616273408 };
const corednsPoint: MetricsPoint = {
  startTimeMs: Date.parse('2021-10-03T09:18:32Z'),
  timestampMs: Date.parse('2021-10-03T09:36:52.125Z'),
  cpuNanoseconds: 4710169000,
  memoryBytes: 12533760,
};

const cases: { name: string; input: string; expect: ReturnType<typeof plain> }[] = [
  {
    name: 'normal: node and container points, other families ignored',
    input: `
# HELP container_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 4.710169 1633253812125
# HELP container_memory_working_set_bytes [ALPHA] Current working set of the container in bytes
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 1.253376e+07 1633253812125
# TYPE container_start_time_seconds gauge
container_start_time_seconds{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 1.633252712e+9 1633253812125
# HELP node_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the node in core-seconds
# TYPE node_cpu_usage_seconds_total counter
node_cpu_usage_seconds_total 357.35491 1633253809720
# HELP node_memory_working_set_bytes [ALPHA] Current working set of the node in bytes
# TYPE node_memory_working_set_bytes gauge
node_memory_working_set_bytes 1.616273408e+09 1633253809720
pod_cpu_usage_seconds_total{namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 4.67812 1633253803935
pod_memory_working_set_bytes{namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 1.2627968e+07 1633253803935
scrape_error 0
`,
    expect: { node: nodePoint, pods: { [coredns]: { coredns: corednsPoint } } },
  },
  {
    name: 'without timestamps the scrape time is used',
    input: `
container_cpu_usage_seconds_total{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 4.710169
container_memory_working_set_bytes{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 1.253376e+07
container_start_time_seconds{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 1.633252712e+9
node_cpu_usage_seconds_total 357.35491
node_memory_working_set_bytes 1.616273408e+09
`,
    expect: { node: { ...nodePoint, timestampMs: scrapeTime }, pods: { [coredns]: { coredns: { ...corednsPoint, timestampMs: scrapeTime } } } },
  },
  {
    name: 'containers only',
    input: `
container_cpu_usage_seconds_total{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 4.710169 1633253812125
container_memory_working_set_bytes{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 1.253376e+07 1633253812125
container_start_time_seconds{container="coredns",namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 1.633252712e+9 1633253812125
`,
    expect: { node: undefined, pods: { [coredns]: { coredns: corednsPoint } } },
  },
  { name: 'no container CPU drops the pod', input: 'container_memory_working_set_bytes{container="c",namespace="n",pod="p"} 1.253376e+07 1633253812125', expect: { node: undefined, pods: {} } },
  {
    // Unlike metrics-server: 0 is a measurement (a process that ran under one /proc tick), not a missing value.
    name: 'zero container CPU is kept',
    input: 'container_cpu_usage_seconds_total{container="c",namespace="n",pod="p"} 0 1633253812125\ncontainer_memory_working_set_bytes{container="c",namespace="n",pod="p"} 1.253376e+07 1633253812125',
    expect: { node: undefined, pods: { 'n/p': { c: { startTimeMs: 0, timestampMs: 1633253812125, cpuNanoseconds: 0, memoryBytes: 12533760 } } } },
  },
  { name: 'no container memory drops the pod', input: 'container_cpu_usage_seconds_total{container="c",namespace="n",pod="p"} 4.710169 1633253812125', expect: { node: undefined, pods: {} } },
  {
    name: 'zero container memory is kept',
    input: 'container_cpu_usage_seconds_total{container="c",namespace="n",pod="p"} 4.710169 1633253812125\ncontainer_memory_working_set_bytes{container="c",namespace="n",pod="p"} 0 1633253812125',
    expect: { node: undefined, pods: { 'n/p': { c: { startTimeMs: 0, timestampMs: 1633253812125, cpuNanoseconds: 4710169000, memoryBytes: 0 } } } },
  },
  {
    name: 'one incomplete container drops its whole pod',
    input: [
      'container_cpu_usage_seconds_total{container="a",namespace="n",pod="p"} 1 1633253812125',
      'container_memory_working_set_bytes{container="a",namespace="n",pod="p"} 1024 1633253812125',
      'container_cpu_usage_seconds_total{container="b",namespace="n",pod="p"} 1 1633253812125',
    ].join('\n'),
    expect: { node: undefined, pods: {} },
  },
  { name: 'node only', input: 'node_cpu_usage_seconds_total 357.35491 1633253809720\nnode_memory_working_set_bytes 1.616273408e+09 1633253809720', expect: { node: nodePoint, pods: {} } },
  { name: 'no node CPU drops the node point', input: 'node_memory_working_set_bytes 1.616273408e+09 1633253809720', expect: { node: undefined, pods: {} } },
  { name: 'zero node CPU drops the node point', input: 'node_cpu_usage_seconds_total 0 1633253809720\nnode_memory_working_set_bytes 1.616273408e+09 1633253809720', expect: { node: undefined, pods: {} } },
  { name: 'no node memory drops the node point', input: 'node_cpu_usage_seconds_total 357.35491 1633253809720', expect: { node: undefined, pods: {} } },
  {
    name: 'negative values and timestamps are junk',
    input: [
      'container_start_time_seconds{container="m",namespace="d",pod="x"} -6.7953645788713455e+09 -62135596800000',
      'node_cpu_usage_seconds_total -3 1633253809720',
      'node_memory_working_set_bytes 1.616273408e+09 1633253809720',
    ].join('\n'),
    expect: { node: undefined, pods: {} },
  },
  {
    name: 'junk lines, NaN, Inf and broken labels are skipped, the rest is read',
    input: [
      '\u0000\u0001garbage {{{',
      'node_cpu_usage_seconds_total NaN 1633253809720',
      'node_cpu_usage_seconds_total +Inf',
      'node_cpu_usage_seconds_total 0x10',
      'container_cpu_usage_seconds_total{container="c" namespace="n",pod="p"} 1 1',
      'container_cpu_usage_seconds_total{container="c",namespace="n"} 1 1',
      'node_cpu_usage_seconds_total 357.35491 1633253809720',
      'node_memory_working_set_bytes 1.616273408e+09 1633253809720 trailing',
      'node_memory_working_set_bytes 1.616273408e+09 1633253809720',
    ].join('\n'),
    expect: { node: nodePoint, pods: {} },
  },
];

describe('decodeResourceMetrics', () => {
  for (const { name, input, expect } of cases) {
    it(name, () => assert.deepEqual(plain(decodeResourceMetrics(input, scrapeTime)), expect));
  }

  it('reads escaped label values, spaces inside them and a trailing comma', () => {
    const sample = parseSample('container_cpu_usage_seconds_total{container="a b",namespace="n\\"s\\\\",pod="p\\n",} 1.5 17');
    assert.deepEqual(sample, { name: 'container_cpu_usage_seconds_total', labels: { container: 'a b', namespace: 'n"s\\', pod: 'p\n' }, value: 1.5, timestampMs: 17 });
  });

  it('handles a large exposition in one pass', () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(`container_cpu_usage_seconds_total{container="c",namespace="ns",pod="p${i}"} ${i + 1} 1700000000000`);
      lines.push(`container_memory_working_set_bytes{container="c",namespace="ns",pod="p${i}"} 4096 1700000000000`);
    }
    assert.equal(decodeResourceMetrics(lines.join('\n'), 0).pods.size, 20_000);
  });
});
