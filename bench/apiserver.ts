/**
 * apiserver benchmark: start time (spawn to the ready line, on a new data dir
 * and warm, median of 5 each), then create / get / list latency (p50, p99)
 * and create throughput through HTTPS against a real `skiff up`, and idle RSS;
 * then custom resources and server-side apply (apiserver-crd.ts), and the
 * load, hostile-input and watch figures (apiserver-load.ts,
 * apiserver-hostile.ts, apiserver-watch.ts).
 */
import { readFileSync } from 'node:fs';
import { measureCreates, startBenchCluster } from './cluster.js';
import { measureStart } from './start.js';
import { conditions, ms, percentile } from './stats.js';
import { run as runWatchBenchmarks } from './apiserver-watch.js';

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

function configMap(name: string) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { bench: 'true' } }, data: { key: 'value'.repeat(20) } };
}

export async function run(): Promise<void> {
  console.log(`\n## apiserver (${conditions()})`);

  // Start time: spawn → ready line, new data dir and warm, against the targets (bench/start.ts).
  await measureStart();

  // The request path is measured on the apiserver alone: in-process controllers would share its CPU.
  const cluster = await startBenchCluster(undefined, false, ['--no-controllers']);
  try {
    console.log('request path, apiserver alone (--no-controllers):');
    console.log(`idle RSS after start: ${rssMiB(cluster.child.pid!).toFixed(1)} MiB`);
    const base = '/api/v1/namespaces/default/configmaps';
    const { sequential, times: createTimes, perSecond, concurrent, workers, concurrentPerSecond } = await measureCreates(cluster, base, configMap);
    console.log(`create, sequential (${sequential}): p50 ${ms(percentile(createTimes, 50))}, p99 ${ms(percentile(createTimes, 99))}, ${perSecond.toFixed(0)} creates/s`);
    console.log(`create, ${workers} concurrent clients (${concurrent}): ${concurrentPerSecond.toFixed(0)} creates/s`);

    const getTimes: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = performance.now();
      const res = await cluster.request('GET', `${base}/seq-${i % sequential}`);
      if (res.status !== 200) throw new Error(`get failed: ${res.status}`);
      getTimes.push(performance.now() - t);
    }
    console.log(`get (1000): p50 ${ms(percentile(getTimes, 50))}, p99 ${ms(percentile(getTimes, 99))}`);

    const listTimes: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      const res = await cluster.request('GET', base);
      if (res.status !== 200) throw new Error(`list failed: ${res.status}`);
      listTimes.push(performance.now() - t);
    }
    console.log(`list of ${sequential + concurrent} configmaps (30): p50 ${ms(percentile(listTimes, 50))}, p99 ${ms(percentile(listTimes, 99))}`);

    const selectorTimes: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await cluster.request('GET', `${base}?labelSelector=bench%3Dtrue&limit=500`);
      selectorTimes.push(performance.now() - t);
    }
    console.log(`list with labelSelector and limit=500 (30): p50 ${ms(percentile(selectorTimes, 50))}, p99 ${ms(percentile(selectorTimes, 99))}`);
    console.log(`RSS after ${sequential + concurrent} objects: ${rssMiB(cluster.child.pid!).toFixed(1)} MiB`);
  } finally {
    await cluster.stop();
  }
  await (await import('./apiserver-crd.js')).run();
  await (await import('./apiserver-load.js')).run();
  await runWatchBenchmarks();
  await (await import('./apiserver-hostile.js')).run();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
