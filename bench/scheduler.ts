/**
 * Scheduler benchmarks shaped like upstream's scheduler_perf: N plain Node
 * objects (4 CPU, 32 GiB, 110 pods), 10,000 pending pods (100m CPU, 500 MiB
 * each, created before the scheduler starts), then a scheduler in this
 * process binding them all through a real apiserver (`skiff server`, no
 * controllers, no scheduler of its own, in its own process).
 *
 * Reported: pods/s from the scheduler's start to the last binding; the
 * p50/p99 of each pod's scheduling latency (popped from the queue → binding
 * answered); and of the scheduling cycle alone (popped → node chosen and
 * assumed), which is what upstream's scheduling_algorithm_duration covers.
 */
import { join } from 'node:path';
import { Client, configFromKubeconfig, type ResourceRef } from '../src/client/index.js';
import { schedulerManager, type Scheduler } from '../src/scheduler/index.js';
import type { Node, Pod } from '../src/scheduler/types.js';
import { startBenchCluster, type BenchCluster } from './cluster.js';
import { conditions, percentile } from './stats.js';

const podCount = 10_000;

const basicNode = (i: number): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
  status: { allocatable: { cpu: '4', memory: '32Gi', pods: '110' }, capacity: { cpu: '4', memory: '32Gi', pods: '110' } },
});

const basicPod = (i: number): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] },
});

/** Ten groups ("colors"): a pod refuses a node that already runs a pod of its color — at most ten per node. */
const antiAffinityPod = (i: number): Pod => {
  const color = `color-${i % 10}`;
  const pod = basicPod(i);
  pod.metadata.labels = { app: 'bench', color };
  pod.spec!.affinity = {
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color } }, topologyKey: 'kubernetes.io/hostname' }] },
  };
  return pod;
};

/** Spread over the three zones with maxSkew 5, as scheduler_perf's TopologySpreading. */
const spreadPod = (i: number): Pod => {
  const pod = basicPod(i);
  pod.spec!.topologySpreadConstraints = [{ maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'bench' } } }];
  return pod;
};

interface Scenario {
  name: string;
  pod(i: number): Pod;
  node(i: number): Node;
  /** Pods created (and bound) before the measured ones, e.g. the victims of preemption. */
  initPods?: (i: number) => Pod;
  initPodCount?: (nodes: number) => number;
  measuredPods?: (nodes: number) => number;
  /** The benchmark plays the node agent: pods being deleted are removed at once. */
  finishDeletions?: boolean;
}

const oneCpuNode = (i: number): Node => ({ ...basicNode(i), status: { allocatable: { cpu: '1', memory: '32Gi', pods: '110' }, capacity: { cpu: '1', memory: '32Gi', pods: '110' } } });
const fullCpuPod = (prefix: string, priority: string | undefined) => (i: number): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `${prefix}-${i}`, namespace: 'default', labels: { app: prefix } },
  spec: { priorityClassName: priority, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '1' } } }] },
});

const scenarios: Scenario[] = [
  { name: 'SchedulingBasic', pod: basicPod, node: basicNode },
  { name: 'SchedulingPodAntiAffinity', pod: antiAffinityPod, node: basicNode },
  { name: 'TopologySpreading', pod: spreadPod, node: basicNode },
  // Every node full of low-priority pods; each measured pod must evict one.
  {
    name: 'Preemption',
    node: oneCpuNode,
    initPods: fullCpuPod('low', undefined),
    initPodCount: (nodes) => nodes,
    pod: fullCpuPod('high', 'bench-high'),
    measuredPods: (nodes) => Math.min(1000, nodes),
    finishDeletions: true,
  },
];

/** Creates objects with 32 concurrent clients. */
async function createAll(cluster: BenchCluster, count: number, path: (i: number) => string, body: (i: number) => unknown): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const i = next++;
        const res = await cluster.request('POST', path(i), body(i));
        if (res.status !== 201) throw new Error(`create ${path(i)}: ${res.status} ${res.body}`);
      }
    }),
  );
}

async function runScenario(scenario: Scenario, nodeCount: number): Promise<void> {
  const cluster = await startBenchCluster(undefined, false, ['--no-controllers', '--no-scheduler']);
  try {
    // Node status (allocatable) needs the status subresource: create, then patch.
    await createAll(cluster, nodeCount, () => '/api/v1/nodes', (i) => ({ ...scenario.node(i), status: undefined }));
    const client = new Client(configFromKubeconfig(join(cluster.dataDir, 'kubeconfig.yaml')));
    const nodes: ResourceRef = { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false };
    const nodeClient = client.resource<Node>(nodes);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < nodeCount) {
          const i = next++;
          await nodeClient.patch(undefined, `node-${i}`, { status: scenario.node(i).status }, 'merge', { subresource: 'status' });
        }
      }),
    );
    let scheduler: Scheduler | undefined;
    const stop = new AbortController();
    const pods = client.resource<Pod>({ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true });
    // Pods to preempt are placed first, by the same scheduler, before the measurement.
    if (scenario.initPods) {
      await client.resource({ group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', namespaced: false }).create({ metadata: { name: 'bench-high' }, value: 1000 } as never);
      const count = scenario.initPodCount!(nodeCount);
      await createAll(cluster, count, () => '/api/v1/namespaces/default/pods', (i) => scenario.initPods!(i));
      const warmup = new AbortController();
      let initScheduler: Scheduler | undefined;
      const running = schedulerManager(client, { onStart: (s) => (initScheduler = s) }).run(warmup.signal);
      while (!initScheduler || initScheduler.stats.scheduled < count) await new Promise((resolve) => setTimeout(resolve, 20));
      warmup.abort();
      await running;
    }
    const measured = scenario.measuredPods?.(nodeCount) ?? podCount;
    await createAll(cluster, measured, () => '/api/v1/namespaces/default/pods', (i) => scenario.pod(i));
    // Playing the node agent: victims being deleted go away at once.
    const deleting = scenario.finishDeletions
      ? pods.watch('default', {}, (event) => {
          if (event.type === 'MODIFIED' && event.object.metadata.deletionTimestamp) void pods.delete('default', event.object.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => {});
        }, stop.signal)
      : undefined;

    const manager = schedulerManager(client, { onStart: (s) => (scheduler = s) });
    const started = performance.now();
    const running = manager.run(stop.signal);
    while (!scheduler || scheduler.stats.scheduled < measured) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (performance.now() - started > 600_000) throw new Error(`only ${scheduler?.stats.scheduled} pods bound after 600 s`);
    }
    const seconds = (performance.now() - started) / 1000;
    const latencies = scheduler.stats.latenciesMs;
    const cycles = scheduler.stats.cycleMs;
    console.log(
      `${scenario.name}, ${nodeCount} nodes, ${measured} pods: ${Math.round(measured / seconds)} pods/s (${seconds.toFixed(2)} s); ` +
        `scheduling latency (pop → bound) p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; ` +
        `scheduling cycle p50 ${percentile(cycles, 50).toFixed(2)} ms, p99 ${percentile(cycles, 99).toFixed(2)} ms`,
    );
    stop.abort();
    await running;
    await deleting?.done.catch(() => {});
    client.close();
  } finally {
    await cluster.stop();
  }
}

export async function run(): Promise<void> {
  console.log(`\n## scheduler (${conditions()}; apiserver in its own process, scheduler in the benchmark's)`);
  const sizes = (process.env.SKIFF_BENCH_NODES ?? '1000,5000').split(',').map(Number);
  const only = process.env.SKIFF_BENCH_SCENARIO;
  for (const scenario of scenarios.filter((s) => !only || s.name === only)) {
    for (const nodes of sizes) await runScenario(scenario, nodes);
  }
}
