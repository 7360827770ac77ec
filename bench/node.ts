/**
 * Node agent benchmarks, on the process runtime (isolated when run as root):
 * - pod startup latency, create → Ready as a watching client sees it, for
 *   100 pods created ten at a time (upstream's SLO: p99 ≤ 5 s);
 * - what 100 running pods cost: the agent's RSS and CPU, and the memory of
 *   the per-container supervisors and per-pod pause processes.
 * The agent runs as its own process (`skiff agent`, joined to a `skiff up
 * --runtime none`) so its figures are its own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { cliPath, startBenchCluster, type BenchCluster } from './cluster.js';
import { conditions, median, percentile } from './stats.js';

const podCount = Number(process.env.SKIFF_BENCH_PODS ?? 100);
const wave = 10;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS (KiB) of every process whose command line mentions the text, and how many there are. */
function processesMentioning(text: string): { count: number; rssKiB: number } {
  let count = 0;
  let rss = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) continue;
    } catch {
      continue;
    }
    count++;
    rss += rssKiB(Number(entry));
  }
  return { count, rssKiB: rss };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

/** 1,000 simulated nodes from one `skiff agent --simulate`: how fast they are Ready, a Deployment on them, the apiserver's load. */
async function simulatedNodes(): Promise<void> {
  const count = Number(process.env.SKIFF_BENCH_SIMULATED ?? 1000);
  const cluster = await startBenchCluster();
  const started = performance.now();
  const agents = spawn(process.execPath, [cliPath, 'agent', '--simulate', String(count), '--kubeconfig', join(cluster.dataDir, 'kubeconfig.yaml')], { stdio: 'ignore' });
  const readyNodes = async () => {
    const list = JSON.parse((await cluster.request('GET', '/api/v1/nodes')).body) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
    return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  };
  try {
    await until(async () => (await readyNodes()) >= count, `${count} Ready nodes`, 300_000);
    const readyAfter = (performance.now() - started) / 1000;
    const replicas = count * 2;
    const deployed = performance.now();
    const res = await cluster.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'spread' },
      spec: { replicas, selector: { matchLabels: { app: 'spread' } }, template: { metadata: { labels: { app: 'spread' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    if (res.status !== 201) throw new Error(res.body);
    await until(async () => JSON.parse((await cluster.request('GET', '/apis/apps/v1/namespaces/default/deployments/spread')).body).status?.readyReplicas === replicas, `${replicas} ready replicas`, 600_000);
    const rolledOut = (performance.now() - deployed) / 1000;
    await delay(5000);
    const before = cpuSeconds(cluster.child.pid!);
    await delay(30_000);
    const apiserverCpu = ((cpuSeconds(cluster.child.pid!) - before) / 30) * 100;
    const stillReady = await readyNodes();
    console.log(
      `${count} simulated nodes: all Ready ${readyAfter.toFixed(1)} s after start; a ${replicas}-replica Deployment ready in ${rolledOut.toFixed(1)} s; ` +
        `then, holding: ${stillReady} Ready, control plane CPU ${apiserverCpu.toFixed(0)}% of one core, RSS ${(rssKiB(cluster.child.pid!) / 1024).toFixed(0)} MiB, simulating agent RSS ${(rssKiB(agents.pid!) / 1024).toFixed(0)} MiB`,
    );
  } finally {
    const exited = new Promise((resolve) => agents.once('exit', resolve));
    agents.kill('SIGTERM');
    await exited;
    await cluster.stop();
  }
}

export async function run(): Promise<void> {
  await processRuntime();
  await simulatedNodes();
}

async function processRuntime(): Promise<void> {
  console.log(`\n## node agent (${conditions()}, ${process.getuid?.() === 0 ? 'root: isolated pods' : 'ordinary user: plain processes'})`);
  const cluster: BenchCluster = await startBenchCluster();
  const agentDir = mkdtempSync(join(tmpdir(), 'skiff-bench-agent-'));
  const token = readFileSync(join(cluster.dataDir, 'join-token'), 'utf8').trim();
  const agent = spawn(process.execPath, [cliPath, 'agent', '--server', `https://127.0.0.1:${cluster.port}`, '--token', token, '--name', 'bench-node', '--data-dir', agentDir, '--pod-cidr', '10.42.250.0/24'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const ready = new Map<string, number>();
  const stopWatch = cluster.stream('/api/v1/namespaces/default/pods?watch=1', (line) => {
    const event = JSON.parse(line) as { object: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } } };
    const isReady = event.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (isReady && !ready.has(event.object.metadata.name)) ready.set(event.object.metadata.name, performance.now());
  });
  try {
    await until(async () => {
      const res = await cluster.request('GET', '/api/v1/nodes/bench-node');
      return res.status === 200 && (JSON.parse(res.body).status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    }, 'the node to be Ready');
    await delay(2000);
    const idleRss = rssKiB(agent.pid!);

    const created = new Map<string, number>();
    for (let i = 0; i < podCount; i += wave) {
      await Promise.all(
        Array.from({ length: Math.min(wave, podCount - i) }, async (_, j) => {
          const name = `p-${i + j}`;
          created.set(name, performance.now());
          const res = await cluster.request('POST', '/api/v1/namespaces/default/pods', {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name },
            spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
          });
          if (res.status !== 201) throw new Error(res.body);
        }),
      );
      await delay(100);
    }
    await until(async () => ready.size >= podCount, `${podCount} pods Ready`, 300_000);
    const latencies = [...created].map(([name, at]) => ready.get(name)! - at);
    console.log(`pod startup (create → Ready, ${podCount} pods, ${wave} at a time): p50 ${median(latencies).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);

    await delay(5000);
    const cpuBefore = cpuSeconds(agent.pid!);
    const window = 30;
    await delay(window * 1000);
    const cpu = ((cpuSeconds(agent.pid!) - cpuBefore) / window) * 100;
    const busyRss = rssKiB(agent.pid!);
    const supervisors = processesMentioning(join(agentDir, 'runtime', 'supervisor.sh'));
    console.log(
      `with ${podCount} running pods: agent RSS ${(busyRss / 1024).toFixed(0)} MiB (idle with no pods ${(idleRss / 1024).toFixed(0)} MiB, +${((busyRss - idleRss) / 1024).toFixed(0)} MiB), agent CPU ${cpu.toFixed(1)}% of one core over ${window} s`,
    );
    console.log(`  supervisors: ${supervisors.count} processes, ${(supervisors.rssKiB / 1024).toFixed(0)} MiB RSS in all (${(supervisors.rssKiB / Math.max(1, podCount)).toFixed(0)} KiB per pod)`);

    // Clean up: the pods go (so no container outlives the benchmark), then the agent.
    await cluster.request('DELETE', '/api/v1/namespaces/default/pods');
    await until(async () => JSON.parse((await cluster.request('GET', '/api/v1/namespaces/default/pods')).body).items.length === 0, 'the pods to be deleted');
  } finally {
    stopWatch();
    const exited = new Promise((resolve) => agent.once('exit', resolve));
    agent.kill('SIGTERM');
    await exited;
    await cluster.stop();
    rmSync(agentDir, { recursive: true, force: true });
  }
}
