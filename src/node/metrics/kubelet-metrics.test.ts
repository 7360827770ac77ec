/** The agent's /metrics: upstream's kubelet_* names, labels and buckets, the runtime's counts, process metrics, promtool. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { ContainerStatus, PodSandbox } from '../runtime/runtime.js';
import { exponentialBuckets, KubeletMetrics, runtimeStateOf } from './kubelet-metrics.js';

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => spawnSync(path, ['--version']).status === 0);

describe('KubeletMetrics', () => {
  it('records what the pod worker and the agent report', async () => {
    const metrics = new KubeletMetrics({ nodeName: 'node-1', processMetrics: false });
    metrics.podStarted(1.5);
    metrics.podWorkerDuration('create', 0.02);
    metrics.podWorkerDuration('sync', 0.002);
    metrics.startedPod();
    metrics.startedPod();
    metrics.startedPodFailed();
    metrics.startedContainer('container');
    metrics.startedContainer('init_container');
    metrics.startedContainerFailed('container', 'CreateContainerConfigError');
    metrics.runtimeOperation('create_container', 0.01);
    metrics.runtimeOperation('create_container', 0.02, true);
    metrics.evicted('memory.available');
    const text = await metrics.text();
    const expected = [
      'kubelet_node_name{node="node-1"} 1',
      'kubelet_pod_start_duration_seconds_bucket{le="2"} 1',
      'kubelet_pod_start_duration_seconds_bucket{le="1"} 0',
      'kubelet_pod_start_duration_seconds_count 1',
      'kubelet_pod_worker_duration_seconds_bucket{le="0.025",operation_type="create"} 1',
      'kubelet_pod_worker_duration_seconds_count{operation_type="sync"} 1',
      'kubelet_started_pods_total 2',
      'kubelet_started_pods_errors_total 1',
      'kubelet_started_containers_total{container_type="container"} 1',
      'kubelet_started_containers_total{container_type="init_container"} 1',
      'kubelet_started_containers_errors_total{container_type="container",code="CreateContainerConfigError"} 1',
      'kubelet_runtime_operations_total{operation_type="create_container"} 2',
      'kubelet_runtime_operations_errors_total{operation_type="create_container"} 1',
      'kubelet_runtime_operations_duration_seconds_bucket{le="0.0125",operation_type="create_container"} 1',
      'kubelet_evictions{eviction_signal="memory.available"} 1',
    ];
    for (const line of expected) assert.ok(text.split('\n').includes(line), `missing: ${line}\n${text}`);
    assert.match(text, /^# HELP kubelet_pod_start_duration_seconds \[ALPHA\] Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run$/m);
    assert.match(text, /^# TYPE kubelet_evictions counter$/m);
    assert.doesNotMatch(text, /^process_/m);
    assert.doesNotMatch(text, /kubelet_running_pods/, 'no runtime given, no running counts');
  });

  it("has upstream's buckets", async () => {
    assert.deepEqual(exponentialBuckets(0.005, 2.5, 14), [
      0.005, 0.0125, 0.03125, 0.078125, 0.1953125, 0.48828125, 1.220703125, 3.0517578125, 7.62939453125, 19.073486328125, 47.6837158203125, 119.20928955078125, 298.0232238769531, 745.0580596923828,
    ]);
    const metrics = new KubeletMetrics({ nodeName: 'n', processMetrics: false });
    metrics.podStarted(1);
    metrics.podWorkerDuration('update', 1);
    const text = await metrics.text();
    const les = (name: string) => [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"`, 'gm'))].map((m) => m[1]);
    assert.deepEqual(les('kubelet_pod_start_duration_seconds'), ['0.5', '1', '2', '3', '4', '5', '6', '8', '10', '20', '30', '45', '60', '120', '180', '240', '300', '360', '480', '600', '900', '1200', '1800', '2700', '3600', '+Inf']);
    assert.deepEqual(les('kubelet_pod_worker_duration_seconds'), ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
  });

  it('counts running pods and containers by state from the runtime at each scrape', async () => {
    const sandboxes: PodSandbox[] = [
      { id: 's1', podUid: 'a', ip: '', createdAt: new Date(), state: 'ready' },
      { id: 's2', podUid: 'b', ip: '', createdAt: new Date(), state: 'notready' },
    ];
    let containers: Record<string, ContainerStatus['state'][]> = { s1: ['running', 'running', 'exited'], s2: ['exited'] };
    let lists = 0;
    const runtime = {
      listPodSandboxes: async () => {
        lists++;
        return sandboxes;
      },
      listContainers: async (id: string) => (containers[id] ?? []).map((state, i) => ({ id: `${id}-${i}`, name: 'c', image: '', state, createdAt: new Date() })),
    };
    const metrics = new KubeletMetrics({ nodeName: 'n', processMetrics: false, runtimeState: () => runtimeStateOf(runtime) });
    let text = await metrics.text();
    assert.equal(lists, 1, 'one read serves both gauges');
    assert.match(text, /^kubelet_running_pods 1$/m);
    assert.match(text, /^kubelet_running_containers\{container_state="running"\} 2$/m);
    assert.match(text, /^kubelet_running_containers\{container_state="exited"\} 2$/m);
    containers = { s1: ['running'] };
    text = await metrics.text();
    assert.equal(lists, 2);
    assert.match(text, /^kubelet_running_containers\{container_state="running"\} 1$/m);
    assert.match(text, /^kubelet_running_containers\{container_state="exited"\} 0$/m);
  });

  it('adds process metrics to each agent\'s registry', async () => {
    const a = await new KubeletMetrics({ nodeName: 'a' }).text();
    const b = await new KubeletMetrics({ nodeName: 'b' }).text();
    for (const text of [a, b]) {
      assert.match(text, /^process_cpu_user_seconds_total /m);
      assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    }
  });

  it('passes promtool (but for kubelet_evictions, named so upstream)', { skip: promtool ? false : 'needs promtool (Debian prometheus)' }, async () => {
    const metrics = new KubeletMetrics({ nodeName: 'n', runtimeState: async () => ({ runningPods: 1, containers: { running: 1 } }) });
    metrics.podStarted(3);
    metrics.runtimeOperation('list_podsandbox', 0.001);
    metrics.evicted('nodefs.available');
    const text = await metrics.text();
    // promtool exits 3 for lint findings (1 for a text it cannot parse); the one allowed is upstream's name.
    const check = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const problems = `${check.stdout}${check.stderr}`.split('\n').filter((l) => l.trim() && !/^kubelet_evictions counter metrics should have "_total" suffix$/.test(l.trim()));
    assert.ok(check.status === 0 || check.status === 3, `${check.stdout}${check.stderr}`);
    assert.deepEqual(problems, []);
  });
});
