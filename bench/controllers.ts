/**
 * Controller benchmarks:
 * - how long until every Pod of a 1,000-replica Deployment exists (skiff up,
 *   controllers in-process, pods created through the apiserver);
 * - CPU and RSS of a separate controller manager idling over 10,000 objects.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { cliPath, startBenchCluster, type BenchCluster } from './cluster.js';
import { conditions } from './stats.js';

async function podCount(cluster: BenchCluster): Promise<number> {
  const res = await cluster.request('GET', '/api/v1/namespaces/default/pods?limit=1');
  const list = JSON.parse(res.body) as { items: unknown[]; metadata: { remainingItemCount?: number } };
  return list.items.length + (list.metadata.remainingItemCount ?? 0);
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime, fields 14 and 15 of stat (12 and 13 after the command name), in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** Seconds until all 1,000 pods of a new Deployment exist, on a fresh cluster. */
async function deploymentScaleOut(): Promise<number> {
  const cluster = await startBenchCluster();
  try {
    const started = performance.now();
    const res = await cluster.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'big' },
      spec: { replicas: 1000, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    if (res.status !== 201) throw new Error(res.body);
    let count = 0;
    while (count < 1000) {
      await delay(50);
      count = await podCount(cluster);
      if (performance.now() - started > 300_000) throw new Error(`only ${count} pods after 300 s`);
    }
    return (performance.now() - started) / 1000;
  } finally {
    await cluster.stop();
  }
}

async function idleOverManyObjects(): Promise<void> {
  const cluster = await startBenchCluster(undefined, false, ['--no-controllers']);
  try {
    // 10,000 objects — two thirds ConfigMaps, one third Pods (which many controllers watch) — created by 32 concurrent clients.
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < 10_000) {
          const i = next++;
          const res =
            i % 3 === 0
              ? await cluster.request('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}`, labels: { app: `a${i % 10}` } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })
              : await cluster.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } });
          if (res.status !== 201) throw new Error(res.body);
        }
      }),
    );
    const manager = spawn(process.execPath, [cliPath, 'controller-manager', '--kubeconfig', join(cluster.dataDir, 'kubeconfig.yaml')], { stdio: 'ignore' });
    try {
      // Let it list everything and settle before measuring (a measurement pause, not a synchronisation).
      await delay(5000);
      const before = cpuSeconds(manager.pid!);
      const window = 10;
      await delay(window * 1000);
      const used = cpuSeconds(manager.pid!) - before;
      console.log(`controller manager idle over 10,000 objects: ${((used / window) * 100).toFixed(1)}% of one core over ${window} s, RSS ${rssMiB(manager.pid!).toFixed(1)} MiB`);
    } finally {
      manager.kill('SIGTERM');
    }
  } finally {
    await cluster.stop();
  }
}

export async function run(): Promise<void> {
  console.log(`\n## controllers (${conditions()})`);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push(await deploymentScaleOut());
  const median = [...runs].sort((a, b) => a - b)[1];
  console.log(
    `1,000-replica Deployment: all Pods exist after ${median.toFixed(2)} s median of 3 (${Math.round(1000 / median)} pods/s; runs ${runs.map((r) => r.toFixed(2)).join(', ')} s)`,
  );
  await idleOverManyObjects();
}
