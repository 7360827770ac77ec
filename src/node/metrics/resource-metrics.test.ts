/**
 * /metrics/resource: upstream's collector test cases (pkg/kubelet/metrics/collectors,
 * as the 1.32 kubelet writes them: scrape_error is hidden since 1.29), the parser on
 * metrics-server's decode cases and on hostile input, and promtool.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseResourceMetrics, renderResourceMetrics } from './resource-metrics.js';
import type { ContainerStats, PodStats, StatsSnapshot } from './stats.js';

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => spawnSync(path, ['--version']).status === 0);

// 2021-06-23 05:11:18.302091597 +0800, upstream's static timestamp.
const at = 1624396278302.0916;
const head = (name: string, type: string, help: string) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
const noError = [...head('resource_scrape_error', 'gauge', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise'), 'resource_scrape_error 0'];
const snapshot = (parts: Partial<StatsSnapshot>): StatsSnapshot => ({ timestampMs: at, node: { timestampMs: at }, pods: [], ...parts });
const container = (name: string, startOffsetMs: number, extra: Partial<ContainerStats> = {}): ContainerStats => ({
  name,
  id: `id-${name}`,
  image: 'img',
  startTimeMs: at + startOffsetMs,
  timestampMs: at,
  cpuNanos: 10e9,
  memoryWorkingSetBytes: 1000,
  ...extra,
});
const pod = (name: string, namespace: string, containers: ContainerStats[], extra: Partial<PodStats> = {}): PodStats => ({ name, namespace, uid: name, timestampMs: at, containers, ...extra });

describe('renderResourceMetrics (upstream cases)', () => {
  const cases: { name: string; snapshot: StatsSnapshot | undefined; expected: string[] }[] = [
    { name: 'error getting summary', snapshot: undefined, expected: [...head('resource_scrape_error', 'gauge', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise'), 'resource_scrape_error 1'] },
    {
      name: 'arbitrary node metrics',
      snapshot: snapshot({ node: { timestampMs: at, cpuNanos: 10e9, memoryWorkingSetBytes: 1000, swapBytes: 500 } }),
      expected: [
        ...head('node_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds'),
        'node_cpu_usage_seconds_total 10 1624396278302',
        ...head('node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes'),
        'node_memory_working_set_bytes 1000 1624396278302',
        ...head('node_swap_usage_bytes', 'gauge', '[ALPHA] Current swap usage of the node in bytes. Reported only on non-windows systems'),
        'node_swap_usage_bytes 500 1624396278302',
        ...noError,
      ],
    },
    { name: 'nil node metrics', snapshot: snapshot({}), expected: noError },
    {
      name: 'arbitrary container metrics for different container, pods and namespaces',
      snapshot: snapshot({
        pods: [
          pod('pod_a', 'namespace_a', [container('container_a', -30_000, { swapBytes: 1000 }), container('container_b', -120_000)]),
          pod('pod_b', 'namespace_b', [container('container_a', -600_000)]),
        ],
      }),
      expected: [
        ...head('container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds'),
        'container_cpu_usage_seconds_total{container="container_a",namespace="namespace_a",pod="pod_a"} 10 1624396278302',
        'container_cpu_usage_seconds_total{container="container_a",namespace="namespace_b",pod="pod_b"} 10 1624396278302',
        'container_cpu_usage_seconds_total{container="container_b",namespace="namespace_a",pod="pod_a"} 10 1624396278302',
        ...head('container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes'),
        'container_memory_working_set_bytes{container="container_a",namespace="namespace_a",pod="pod_a"} 1000 1624396278302',
        'container_memory_working_set_bytes{container="container_a",namespace="namespace_b",pod="pod_b"} 1000 1624396278302',
        'container_memory_working_set_bytes{container="container_b",namespace="namespace_a",pod="pod_a"} 1000 1624396278302',
        ...head('container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds'),
        'container_start_time_seconds{container="container_a",namespace="namespace_a",pod="pod_a"} 1.6243962483020916e+09',
        'container_start_time_seconds{container="container_a",namespace="namespace_b",pod="pod_b"} 1.6243956783020916e+09',
        'container_start_time_seconds{container="container_b",namespace="namespace_a",pod="pod_a"} 1.6243961583020916e+09',
        ...head('container_swap_usage_bytes', 'gauge', '[ALPHA] Current amount of the container swap usage in bytes. Reported only on non-windows systems'),
        'container_swap_usage_bytes{container="container_a",namespace="namespace_a",pod="pod_a"} 1000 1624396278302',
        ...noError,
      ],
    },
    {
      name: 'arbitrary container metrics for negative StartTime',
      snapshot: snapshot({ pods: [pod('pod_a', 'namespace_a', [container('container_a', -2 * at)])] }),
      expected: [
        ...head('container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds'),
        'container_cpu_usage_seconds_total{container="container_a",namespace="namespace_a",pod="pod_a"} 10 1624396278302',
        ...head('container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes'),
        'container_memory_working_set_bytes{container="container_a",namespace="namespace_a",pod="pod_a"} 1000 1624396278302',
        ...noError,
      ],
    },
    {
      name: 'nil container metrics',
      snapshot: snapshot({
        pods: [
          pod('pod_a', 'namespace_a', [container('container_a', -30_000, { cpuNanos: undefined, memoryWorkingSetBytes: undefined })]),
          pod('pod_b', 'namespace_b', [container('container_a', -600_000)]),
        ],
      }),
      expected: [
        ...head('container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds'),
        'container_cpu_usage_seconds_total{container="container_a",namespace="namespace_b",pod="pod_b"} 10 1624396278302',
        ...head('container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes'),
        'container_memory_working_set_bytes{container="container_a",namespace="namespace_b",pod="pod_b"} 1000 1624396278302',
        ...head('container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds'),
        'container_start_time_seconds{container="container_a",namespace="namespace_a",pod="pod_a"} 1.6243962483020916e+09',
        'container_start_time_seconds{container="container_a",namespace="namespace_b",pod="pod_b"} 1.6243956783020916e+09',
        ...noError,
      ],
    },
    {
      name: 'arbitrary pod metrics',
      snapshot: snapshot({ pods: [pod('pod_a', 'namespace_a', [], { cpuNanos: 10e9, memoryWorkingSetBytes: 1000, swapBytes: 5000 })] }),
      expected: [
        ...head('pod_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds'),
        'pod_cpu_usage_seconds_total{namespace="namespace_a",pod="pod_a"} 10 1624396278302',
        ...head('pod_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the pod in bytes'),
        'pod_memory_working_set_bytes{namespace="namespace_a",pod="pod_a"} 1000 1624396278302',
        ...head('pod_swap_usage_bytes', 'gauge', '[ALPHA] Current amount of the pod swap usage in bytes. Reported only on non-windows systems'),
        'pod_swap_usage_bytes{namespace="namespace_a",pod="pod_a"} 5000 1624396278302',
        ...noError,
      ],
    },
    { name: 'nil pod metrics', snapshot: snapshot({ pods: [pod('pod_a', 'namespace_a', [])] }), expected: noError },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(renderResourceMetrics(c.snapshot), `${c.expected.join('\n')}\n`);
    });
  }

  it('passes promtool', { skip: promtool ? false : 'needs promtool (Debian prometheus)' }, () => {
    const text = renderResourceMetrics(snapshot({ node: { timestampMs: at, cpuNanos: 1e9, memoryWorkingSetBytes: 5, swapBytes: 0 }, pods: [pod('p', 'n', [container('c', -1000, { swapBytes: 0 })], { cpuNanos: 1, memoryWorkingSetBytes: 2, swapBytes: 0 })] }));
    const check = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), '');
  });
});

const normal = `
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
# HELP pod_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the pod in core-seconds
# TYPE pod_cpu_usage_seconds_total counter
pod_cpu_usage_seconds_total{namespace="kube-system",pod="coredns-558bd4d5db-4dpjz"} 4.67812 1633253803935
# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 otherwise
# TYPE scrape_error gauge
scrape_error 0
`;

describe('parseResourceMetrics (metrics-server decode cases)', () => {
  it('reads the node and its containers', () => {
    assert.deepEqual(parseResourceMetrics(normal), {
      node: { cpuSeconds: 357.35491, memoryBytes: 1616273408, timestampMs: 1633253809720 },
      containers: [{ namespace: 'kube-system', pod: 'coredns-558bd4d5db-4dpjz', container: 'coredns', cpuSeconds: 4.710169, memoryBytes: 12533760, timestampMs: 1633253812125, startTimeSeconds: 1633252712 }],
      skippedLines: 0,
    });
  });

  it('uses the default time for samples without a timestamp', () => {
    const text = normal.replace(/ \d{13}$/gm, '');
    const parsed = parseResourceMetrics(text, { defaultTimestampMs: 3393375927000 });
    assert.equal(parsed.node?.timestampMs, 3393375927000);
    assert.equal(parsed.containers[0].timestampMs, 3393375927000);
    assert.equal(parseResourceMetrics(text).node?.timestampMs, undefined);
  });

  it('keeps what a sample says, leaving completeness to the caller', () => {
    const memoryOnly = parseResourceMetrics('container_memory_working_set_bytes{container="c",namespace="n",pod="p"} 1.253376e+07 1633253812125\n');
    assert.deepEqual(memoryOnly.containers, [{ namespace: 'n', pod: 'p', container: 'c', memoryBytes: 12533760, timestampMs: 1633253812125 }]);
    assert.deepEqual(parseResourceMetrics('node_cpu_usage_seconds_total 0 1633253809720\n').node, { cpuSeconds: 0, timestampMs: 1633253809720 });
  });

  it('round-trips what renderResourceMetrics writes', () => {
    const text = renderResourceMetrics(snapshot({ node: { timestampMs: at, cpuNanos: 12.5e9, memoryWorkingSetBytes: 123456789 }, pods: [pod('web', 'shop', [container('app', -5000)])] }));
    const parsed = parseResourceMetrics(text);
    assert.deepEqual(parsed.node, { cpuSeconds: 12.5, memoryBytes: 123456789, timestampMs: 1624396278302 });
    assert.deepEqual(parsed.containers, [{ namespace: 'shop', pod: 'web', container: 'app', startTimeSeconds: (at - 5000) / 1000, cpuSeconds: 10, timestampMs: 1624396278302, memoryBytes: 1000 }]);
  });
});

describe('parseResourceMetrics on hostile input', () => {
  it('skips malformed lines and never throws', () => {
    const junk = [
      'garbage line',
      'container_cpu_usage_seconds_total{container="a",namespace="n",pod="p"',
      'container_cpu_usage_seconds_total{container="a" namespace="n",pod="p"} 1',
      'container_cpu_usage_seconds_total{container="a",container="b",namespace="n",pod="p"} 1',
      'container_cpu_usage_seconds_total{container="a\\q",namespace="n",pod="p"} 1',
      'container_cpu_usage_seconds_total{container="a",namespace="n",pod="p"} one',
      'container_cpu_usage_seconds_total{container="a",namespace="n",pod="p"} 1 2 3',
      'container_cpu_usage_seconds_total{container="a",namespace="n",pod="p"} 1 1.5',
      'node_cpu_usage_seconds_total 0x10',
      '{container="a"} 1',
      '\u0000\u0001\u0002',
      `node_memory_working_set_bytes 1 ${'9'.repeat(40)}`,
    ];
    const parsed = parseResourceMetrics([...junk, 'node_cpu_usage_seconds_total 5 1000'].join('\n'));
    assert.deepEqual(parsed.containers, []);
    assert.deepEqual(parsed.node, { cpuSeconds: 5, timestampMs: 1000 });
    assert.equal(parsed.skippedLines, junk.length);
  });

  it('drops samples with negative, infinite or NaN usage, or a negative timestamp (the metrics-server case)', () => {
    const parsed = parseResourceMetrics(
      [
        'container_start_time_seconds{container="m",namespace="d",pod="x"} -6.7953645788713455e+09 -62135596800000',
        'container_cpu_usage_seconds_total{container="m",namespace="d",pod="y"} NaN 1000',
        'container_memory_working_set_bytes{container="m",namespace="d",pod="y"} +Inf 1000',
        'node_cpu_usage_seconds_total -1 1000',
        'container_start_time_seconds{container="m",namespace="d",pod="z"} 1.6509742024191372e+09 1650974202419',
      ].join('\n'),
    );
    assert.equal(parsed.node, undefined);
    assert.deepEqual(parsed.containers, [{ namespace: 'd', pod: 'z', container: 'm', startTimeSeconds: 1650974202.4191372 }]);
  });

  it('reads escaped label values and odd spacing', () => {
    const parsed = parseResourceMetrics('container_cpu_usage_seconds_total{ container = "a\\"b\\\\c\\nd" , namespace="n",pod="p}", } 2\t1000\r\n');
    assert.deepEqual(parsed.containers, [{ namespace: 'n', pod: 'p}', container: 'a"b\\c\nd', cpuSeconds: 2, timestampMs: 1000 }]);
  });

  it('ignores labels named like Object.prototype members', () => {
    const parsed = parseResourceMetrics('container_cpu_usage_seconds_total{__proto__="x",constructor="y",container="a",namespace="n",pod="p"} 1 1\n');
    assert.equal(parsed.containers[0].container, 'a');
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  it('bounds its work: input length, line length and containers', () => {
    const long = `container_cpu_usage_seconds_total{container="${'x'.repeat(20_000)}",namespace="n",pod="p"} 1 1`;
    assert.equal(parseResourceMetrics(long).skippedLines, 1);
    const many = Array.from({ length: 50 }, (_, i) => `container_cpu_usage_seconds_total{container="c${i}",namespace="n",pod="p"} 1 1`).join('\n');
    assert.equal(parseResourceMetrics(many, { maxContainers: 10 }).containers.length, 10);
    assert.equal(parseResourceMetrics(many, { maxLength: 100 }).containers.length, 1);
    assert.deepEqual(parseResourceMetrics(undefined as unknown as string), { containers: [], skippedLines: 0 });
  });
});
