/** /metrics/cadvisor: cadvisor's names and labels, only what is measured, and promtool. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { renderCadvisorMetrics } from './cadvisor-metrics.js';
import type { StatsSnapshot } from './stats.js';

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => spawnSync(path, ['--version']).status === 0);

const at = 1_700_000_000_000;
const machineSnapshot: StatsSnapshot = {
  timestampMs: at,
  node: {
    timestampMs: at,
    cpuNanos: 120.5e9,
    memoryWorkingSetBytes: 4e9,
    memoryUsageBytes: 6e9,
    memoryRssBytes: 2e9,
    memoryCapacityBytes: 16e9,
    cpuCores: 8,
    network: [{ name: 'eth0', rxBytes: 1000, txBytes: 2000 }],
    filesystem: { device: '/dev/sda1', capacityBytes: 100, availableBytes: 40, usedBytes: 55 },
    machine: { machineId: 'm1', systemUuid: '', bootId: 'b1' },
  },
  pods: [
    {
      name: 'web',
      namespace: 'shop',
      uid: 'uid-1',
      timestampMs: at,
      cpuNanos: 3e9,
      memoryWorkingSetBytes: 3000,
      network: [{ name: 'eth0', rxBytes: 10, txBytes: 20 }],
      containers: [
        { name: 'app', id: 'c1', image: 'nginx:1.27', startTimeMs: at - 60_500, timestampMs: at, cpuNanos: 3e9, memoryWorkingSetBytes: 3000, memoryUsageBytes: 5000, memoryRssBytes: 2500 },
        { name: 'idle', id: 'c2', image: 'busybox', startTimeMs: at - 1000, timestampMs: at, cpuNanos: 0, memoryWorkingSetBytes: 0 },
      ],
    },
  ],
};

describe('renderCadvisorMetrics', () => {
  const text = renderCadvisorMetrics(machineSnapshot);
  const line = (series: string) => text.split('\n').find((l) => l.startsWith(`${series} `));

  it("labels the machine, a pod and a container as the kubelet's cadvisor does", () => {
    assert.equal(line('container_cpu_usage_seconds_total{container="",cpu="total",id="/",image="",name="",namespace="",pod=""}'), `container_cpu_usage_seconds_total{container="",cpu="total",id="/",image="",name="",namespace="",pod=""} 120.5 ${at}`);
    assert.ok(line('container_memory_working_set_bytes{container="",id="/skiff/uid-1",image="",name="",namespace="shop",pod="web"}')?.endsWith(` 3000 ${at}`));
    assert.ok(line('container_memory_working_set_bytes{container="app",id="/skiff/uid-1/c1",image="nginx:1.27",name="c1",namespace="shop",pod="web"}')?.endsWith(` 3000 ${at}`));
    assert.ok(line('container_memory_usage_bytes{container="app",id="/skiff/uid-1/c1",image="nginx:1.27",name="c1",namespace="shop",pod="web"}'));
    assert.ok(line('container_memory_rss{container="",id="/",image="",name="",namespace="",pod=""}')?.endsWith(` 2e+09 ${at}`));
    assert.equal(line('container_network_receive_bytes_total{container="",id="/skiff/uid-1",image="",interface="eth0",name="",namespace="shop",pod="web"}'), `container_network_receive_bytes_total{container="",id="/skiff/uid-1",image="",interface="eth0",name="",namespace="shop",pod="web"} 10 ${at}`);
    assert.ok(line('container_network_transmit_bytes_total{container="",id="/",image="",interface="eth0",name="",namespace="",pod=""}')?.endsWith(` 2000 ${at}`));
    assert.ok(line('container_fs_usage_bytes{container="",device="/dev/sda1",id="/",image="",name="",namespace="",pod=""}')?.endsWith(` 55 ${at}`));
    // Whole seconds, no timestamp.
    assert.equal(line('container_start_time_seconds{container="app",id="/skiff/uid-1/c1",image="nginx:1.27",name="c1",namespace="shop",pod="web"}'), `container_start_time_seconds{container="app",id="/skiff/uid-1/c1",image="nginx:1.27",name="c1",namespace="shop",pod="web"} 1.699999939e+09`);
    assert.equal(line('machine_cpu_cores{boot_id="b1",machine_id="m1",system_uuid=""}'), `machine_cpu_cores{boot_id="b1",machine_id="m1",system_uuid=""} 8 ${at}`);
    assert.ok(line('machine_memory_bytes{boot_id="b1",machine_id="m1",system_uuid=""}')?.endsWith(` 1.6e+10 ${at}`));
    assert.equal(line('container_scrape_error'), 'container_scrape_error 0');
  });

  it('leaves out what is not measured: a cpu total of 0, memory usage unknown, a pod without its own network', () => {
    assert.equal(line('container_cpu_usage_seconds_total{container="idle",cpu="total",id="/skiff/uid-1/c2",image="busybox",name="c2",namespace="shop",pod="web"}'), undefined);
    assert.equal(line('container_memory_usage_bytes{container="idle",id="/skiff/uid-1/c2",image="busybox",name="c2",namespace="shop",pod="web"}'), undefined);
    assert.equal(line('container_memory_usage_bytes{container="",id="/skiff/uid-1",image="",name="",namespace="shop",pod="web"}'), undefined, 'not every container says its usage');
    assert.doesNotMatch(text, /container_network_receive_bytes_total\{container="app"/);
  });

  it('says only the scrape error when there is no snapshot, and nothing of the machine for a simulated node', () => {
    assert.equal(renderCadvisorMetrics(undefined), '# HELP container_scrape_error 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE container_scrape_error gauge\ncontainer_scrape_error 1\n');
    const simulated = renderCadvisorMetrics({ ...machineSnapshot, node: { timestampMs: at } });
    assert.doesNotMatch(simulated, /id="\/"/);
    assert.doesNotMatch(simulated, /machine_/);
  });

  it('passes promtool', { skip: promtool ? false : 'needs promtool (Debian prometheus)' }, () => {
    const check = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), '');
  });
});
