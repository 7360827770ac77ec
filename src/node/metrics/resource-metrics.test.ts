/**
 * /metrics/resource: upstream's collector test cases (pkg/kubelet/metrics/collectors,
 * as the 1.32 kubelet writes them: scrape_error is hidden since 1.29), the parser on
 * metrics-server's decode cases and on hostile input, and promtool.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { renderResourceMetrics } from './resource-metrics.js';
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
