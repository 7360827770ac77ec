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

interface Scenario {
  name: string;
  pod(i: number): Pod;
  node(i: number): Node;
}

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

const scenarios: Scenario[] = [{ name: 'SchedulingBasic', pod: basicPod, node: basicNode }];

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
    await createAll(cluster, podCount, () => '/api/v1/namespaces/default/pods', (i) => scenario.pod(i));

    let scheduler: Scheduler | undefined;
    const stop = new AbortController();
    const manager = schedulerManager(client, { onStart: (s) => (scheduler = s) });
    const started = performance.now();
    const running = manager.run(stop.signal);
    while (!scheduler || scheduler.stats.scheduled < podCount) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (performance.now() - started > 600_000) throw new Error(`only ${scheduler?.stats.scheduled} pods bound after 600 s`);
    }
    const seconds = (performance.now() - started) / 1000;
    const latencies = scheduler.stats.latenciesMs;
    const cycles = scheduler.stats.cycleMs;
    console.log(
      `${scenario.name}, ${nodeCount} nodes, ${podCount} pods: ${Math.round(podCount / seconds)} pods/s (${seconds.toFixed(2)} s); ` +
        `scheduling latency (pop → bound) p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; ` +
        `scheduling cycle p50 ${percentile(cycles, 50).toFixed(2)} ms, p99 ${percentile(cycles, 99).toFixed(2)} ms`,
    );
    stop.abort();
    await running;
    client.close();
  } finally {
    await cluster.stop();
  }
}

export async function run(): Promise<void> {
  console.log(`\n## scheduler (${conditions()}; apiserver in its own process, scheduler in the benchmark's)`);
  const sizes = (process.env.SKIFF_BENCH_NODES ?? '1000,5000').split(',').map(Number);
  for (const scenario of scenarios) {
    for (const nodes of sizes) await runScenario(scenario, nodes);
  }
}
