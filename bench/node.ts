/**
 * Node agent benchmarks, on the process runtime (isolated when run as root):
 * - pod startup latency, create → Ready as a watching client sees it, for
 *   100 pods created ten at a time (upstream's SLO: p99 ≤ 5 s);
 * - what a pod start costs: CPU of the agent and everything below it (node
 *   helper, pod shims, containers), from /proc, and the processes the
 *   machine created meanwhile;
 * - pods/s at saturation: 100 pods created as fast as ten requests in flight
 *   allow, first create → last Ready; and who was busy meanwhile;
 * - what one fork costs on this machine, from a process the agent's size and
 *   from a small one, so figures of different machines can be compared;
 * - what 100 running pods cost: the agent's RSS and CPU, and the memory of
 *   the pod shims.
 * The agent runs as its own process (`skiff agent`, joined to a `skiff up
 * --runtime none`) so its figures are its own.
 */
import { spawn, spawnSync } from 'node:child_process';
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

/** CPU seconds this process (the benchmark's own client) has used since `start`. */
function cpuUsedSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** The kernel's part of a process's CPU seconds (system time). */
function systemSeconds(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[12]) / 100;
}

function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS (KiB) of every process of that name (its comm), and how many there are. */
function processesNamed(name: string): { count: number; rssKiB: number } {
  let count = 0;
  let rss = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== name) continue;
    } catch {
      continue;
    }
    count++;
    rss += rssKiB(Number(entry));
  }
  return { count, rssKiB: rss };
}

async function createPod(cluster: BenchCluster, name: string): Promise<void> {
  const res = await cluster.request('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    // The command on the node's file system (RuntimeClass host): what the start path costs, without an image.
    spec: { runtimeClassName: 'host', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
  });
  if (res.status !== 201) throw new Error(res.body);
}

async function deleteAllPods(cluster: BenchCluster): Promise<void> {
  await cluster.request('DELETE', '/api/v1/namespaces/default/pods');
  await until(async () => JSON.parse((await cluster.request('GET', '/api/v1/namespaces/default/pods')).body).items.length === 0, 'the pods to be deleted');
}

/** The processes below a PID (children, their children …), from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      /* gone meanwhile */
    }
  }
  const found: number[] = [];
  for (const queue = [root]; queue.length; ) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** CPU seconds of a process, those of its children it has reaped included. */
function cpuWithReaped(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of the agent and every process below it (node helper, pod
 * shims, containers); processes that ended are counted by their parent
 * once reaped (the helper lets the kernel reap pod shims: a shim that
 * ended is not counted — none ends while the pods run).
 */
function treeCpuSeconds(agent: number): number {
  return [agent, ...descendants(agent)].reduce((sum, pid) => sum + cpuWithReaped(pid), 0);
}

/**
 * Busy CPU seconds of the whole machine since boot (all but idle and I/O
 * wait): also what no process of ours is charged with — kernel threads,
 * interrupts, and the short-lived work that /proc's per-process ticks miss.
 */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return (fields.reduce((sum, value) => sum + value, 0) - fields[3] - fields[4]) / 100;
}

/** Processes (and threads) the machine has created since it booted. */
function forksSinceBoot(): number {
  return Number(/^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0);
}

/**
 * What one fork + exec of `true` costs (wall time, median of 20), from this
 * process grown to about the agent's size, and from `sh` (a small process).
 */
function forkCost(agentRssKiB: number): { bigMs: number; smallMs: number; rssMiB: number } {
  const ballast: Buffer[] = [];
  for (let grown = rssKiB(process.pid); grown < agentRssKiB; grown += 16 * 1024) ballast.push(Buffer.alloc(16 * 1024 * 1024, 1));
  const big: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    spawnSync('true');
    big.push(performance.now() - started);
  }
  const rssMiB = rssKiB(process.pid) / 1024;
  ballast.length = 0;
  // sh forks 20 times itself and reports the total in its own clock (nanoseconds from date).
  const small = spawnSync('sh', ['-c', 's=$(date +%s%N); i=0; while [ $i -lt 20 ]; do /bin/true; i=$((i+1)); done; e=$(date +%s%N); echo $(( (e - s) / 20 ))'], { encoding: 'utf8' });
  return { bigMs: median(big), smallMs: Number(small.stdout.trim()) / 1e6, rssMiB };
}

/**
 * Waits until the node has torn down every pod: no pod shim left, and no
 * sandbox left on disk (the agent removes a pod's cgroups, files and volumes
 * after its shim has ended; a burst started before that would be charged
 * with the teardown).
 */
async function untilNodeIdle(agentDir: string): Promise<void> {
  const sandboxes = join(agentDir, 'runtime', 'sandboxes');
  const left = () => {
    try {
      return readdirSync(sandboxes).length;
    } catch {
      return 0;
    }
  };
  await until(async () => processesNamed('skiff-pod').count === 0 && left() === 0, 'the node to tear its pods down');
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

/** The figures of one run of the process-runtime scenario, for the medians of several. */
interface RunFigures {
  p50Ms: number;
  p99Ms: number;
  nodeCpuMs: number;
  agentCpuMs: number;
  controlPlaneCpuMs: number;
  podsPerSecond: number;
}

export async function run(): Promise<void> {
  // This kind of machine varies by ±30 % from run to run: SKIFF_BENCH_REPEAT=3 gives the medians too.
  const repeat = Math.max(1, Number(process.env.SKIFF_BENCH_REPEAT ?? 1));
  const runs: RunFigures[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await processRuntime());
  if (repeat > 1) {
    const med = (pick: (r: RunFigures) => number) => median(runs.map(pick)).toFixed(1);
    console.log(
      `median of ${repeat} runs: create → Ready p50 ${med((r) => r.p50Ms)} ms, p99 ${med((r) => r.p99Ms)} ms; per pod start ${med((r) => r.nodeCpuMs)} ms CPU on the node ` +
        `(agent ${med((r) => r.agentCpuMs)} ms), ${med((r) => r.controlPlaneCpuMs)} ms in the control plane; saturation ${med((r) => r.podsPerSecond)} pods/s`,
    );
  }
  await simulatedNodes();
}

async function processRuntime(): Promise<RunFigures> {
  console.log(`\n## node agent (${conditions()}, ${process.getuid?.() === 0 ? 'root: isolated pods' : 'ordinary user: plain processes'})`);
  const cluster: BenchCluster = await startBenchCluster();
  const agentDir = mkdtempSync(join(tmpdir(), 'skiff-bench-agent-'));
  const token = readFileSync(join(cluster.dataDir, 'join-token'), 'utf8').trim();
  const agent = spawn(process.execPath, [cliPath, 'agent', '--server', `https://127.0.0.1:${cluster.port}`, '--token', token, '--name', 'bench-node', '--data-dir', agentDir, '--pod-cidr', '10.42.250.0/24'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // When the watching client first saw each pod bound, with a status from the node, and Ready.
  const ready = new Map<string, number>();
  const bound = new Map<string, number>();
  const reported = new Map<string, number>();
  const stopWatch = cluster.stream('/api/v1/namespaces/default/pods?watch=1', (line) => {
    const event = JSON.parse(line) as { object: { metadata: { name: string }; spec?: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } } };
    const name = event.object.metadata.name;
    const now = performance.now();
    if (event.object.spec?.nodeName && !bound.has(name)) bound.set(name, now);
    if (event.object.status?.conditions?.some((c) => c.type === 'Initialized') && !reported.has(name)) reported.set(name, now);
    const isReady = event.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (isReady && !ready.has(name)) ready.set(name, now);
  });
  try {
    await until(async () => {
      const res = await cluster.request('GET', '/api/v1/nodes/bench-node');
      return res.status === 200 && (JSON.parse(res.body).status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    }, 'the node to be Ready');
    await delay(2000);
    const idleRss = rssKiB(agent.pid!);

    const created = new Map<string, number>();
    const cpuBeforeStart = treeCpuSeconds(agent.pid!);
    const agentCpuBefore = cpuSeconds(agent.pid!);
    const agentSystemBefore = systemSeconds(agent.pid!);
    const controlPlaneCpuBefore = cpuSeconds(cluster.child.pid!);
    const forksBefore = forksSinceBoot();
    for (let i = 0; i < podCount; i += wave) {
      await Promise.all(
        Array.from({ length: Math.min(wave, podCount - i) }, async (_, j) => {
          const name = `p-${i + j}`;
          created.set(name, performance.now());
          await createPod(cluster, name);
        }),
      );
      await delay(100);
    }
    await until(async () => ready.size >= podCount, `${podCount} pods Ready`, 300_000);
    const startCpu = treeCpuSeconds(agent.pid!) - cpuBeforeStart;
    const agentCpu = cpuSeconds(agent.pid!) - agentCpuBefore;
    const agentSystem = systemSeconds(agent.pid!) - agentSystemBefore;
    const controlPlaneCpu = cpuSeconds(cluster.child.pid!) - controlPlaneCpuBefore;
    const forks = forksSinceBoot() - forksBefore;
    const latencies = [...created].map(([name, at]) => ready.get(name)! - at);
    console.log(`pod startup (create → Ready, ${podCount} pods, ${wave} at a time): p50 ${median(latencies).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);
    const phase = (from: Map<string, number>, to: Map<string, number>) => [...created.keys()].map((name) => to.get(name)! - from.get(name)!);
    const describe = (samples: number[]) => `p50 ${median(samples).toFixed(0)} ms, p99 ${percentile(samples, 99).toFixed(0)} ms`;
    console.log(
      `  create → bound ${describe(phase(created, bound))}; bound → first node status ${describe(phase(bound, reported))}; first node status → Ready ${describe(phase(reported, ready))}`,
    );
    const perPod = (seconds: number) => `${((seconds * 1000) / podCount).toFixed(1)} ms`;
    console.log(
      `  per pod start: ${perPod(startCpu)} CPU on the node (the agent ${perPod(agentCpu)}, ${perPod(agentSystem)} of it in the kernel; node helper, pod shims and containers ${perPod(startCpu - agentCpu)}), ` +
        `${perPod(controlPlaneCpu)} in the control plane; ${(forks / podCount).toFixed(1)} processes and threads created on the whole machine`,
    );

    await delay(5000);
    const cpuBefore = cpuSeconds(agent.pid!);
    const window = 30;
    await delay(window * 1000);
    const cpu = ((cpuSeconds(agent.pid!) - cpuBefore) / window) * 100;
    const busyRss = rssKiB(agent.pid!);
    const shims = processesNamed('skiff-pod');
    console.log(
      `with ${podCount} running pods: agent RSS ${(busyRss / 1024).toFixed(0)} MiB (idle with no pods ${(idleRss / 1024).toFixed(0)} MiB, +${((busyRss - idleRss) / 1024).toFixed(0)} MiB), agent CPU ${cpu.toFixed(1)}% of one core over ${window} s`,
    );
    console.log(`  pod shims: ${shims.count} processes, ${(shims.rssKiB / 1024).toFixed(1)} MiB RSS in all (${(shims.rssKiB / Math.max(1, podCount)).toFixed(0)} KiB per pod)`);
    const fork = forkCost(busyRss);
    console.log(`  one fork + exec of true: ${fork.bigMs.toFixed(2)} ms from a process of ${fork.rssMiB.toFixed(0)} MiB RSS (the agent's size), ${fork.smallMs.toFixed(2)} ms from sh (median of 20)`);

    // Clean up: the pods go (so no container outlives the benchmark), and the
    // node finishes tearing them down, so the burst below starts on an idle node.
    await deleteAllPods(cluster);
    await untilNodeIdle(agentDir);

    // Saturation: the pods come as fast as the client can create them; the node starts them as fast as it can.
    ready.clear();
    const burstTreeCpu = treeCpuSeconds(agent.pid!);
    const burstAgentCpu = cpuSeconds(agent.pid!);
    const burstControlPlaneCpu = cpuSeconds(cluster.child.pid!);
    const burstMachine = machineBusySeconds();
    const burstOwnCpu = process.cpuUsage();
    const burst = performance.now();
    // As fast as a client with ten requests in flight can create them (kubectl and client-go
    // would use one HTTP/2 connection): with all 100 at once, the benchmark's client opened some
    // sixty TLS connections, and their handshakes cost about 1.5 ms per pod that no pod start pays.
    let next = 0;
    await Promise.all(Array.from({ length: wave }, async () => {
      while (next < podCount) await createPod(cluster, `s-${next++}`);
    }));
    await until(async () => ready.size >= podCount, `${podCount} pods Ready`, 300_000);
    const seconds = (Math.max(...ready.values()) - burst) / 1000;
    // Who was busy during the burst (measured up to when the watch saw the last pod Ready, so a little late).
    const busy = (cpu: number) => `${((cpu * 1000) / podCount).toFixed(1)} ms/pod (${((cpu / seconds) * 100).toFixed(0)} % of a core)`;
    console.log(`saturation (${podCount} pods created at once, ${wave} requests in flight): all Ready in ${seconds.toFixed(2)} s, ${(podCount / seconds).toFixed(0)} pods/s`);
    console.log(
      `  during it: agent ${busy(cpuSeconds(agent.pid!) - burstAgentCpu)}, node helper, shims and containers ${busy(treeCpuSeconds(agent.pid!) - burstTreeCpu - (cpuSeconds(agent.pid!) - burstAgentCpu))}, ` +
        `control plane ${busy(cpuSeconds(cluster.child.pid!) - burstControlPlaneCpu)}, this benchmark's client ${busy(cpuUsedSince(burstOwnCpu))}; ` +
        `the machine ${busy(machineBusySeconds() - burstMachine)}`,
    );
    await deleteAllPods(cluster);
    return {
      p50Ms: median(latencies),
      p99Ms: percentile(latencies, 99),
      nodeCpuMs: (startCpu * 1000) / podCount,
      agentCpuMs: (agentCpu * 1000) / podCount,
      controlPlaneCpuMs: (controlPlaneCpu * 1000) / podCount,
      podsPerSecond: podCount / seconds,
    };
  } finally {
    stopWatch();
    const exited = new Promise((resolve) => agent.once('exit', resolve));
    agent.kill('SIGTERM');
    await exited;
    await cluster.stop();
    rmSync(agentDir, { recursive: true, force: true });
  }
}
