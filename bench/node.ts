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
 * - what 100 running pods cost: the agent's RSS and CPU, the memory of the
 *   pod shims and containers, and how much less memory the machine has
 *   available (MemAvailable) with them running.
 * All of it side by side: for pods of the node's own files
 * (`runtimeClassName: host`) and, as root on a machine that can isolate, for
 * pods of an OCI image (already on the node) from a registry on loopback;
 * then the same image pods on containerd (`--runtime containerd`, the
 * containerd skiff manages) where containerd is installed; then what a first
 * pull of that image costs (node-images.ts) and how the kinds compare.
 * The agent runs as its own process (`skiff agent`, joined to a `skiff up
 * --runtime none`) so its figures are its own.
 * SKIFF_BENCH_RUNTIMES=containerd (or process) runs one runtime only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { cliPath, startBenchCluster, type BenchCluster } from './cluster.js';
import { describeImage, imageSkipReason, measurePulls, prePull, printPullFigures, startBenchImage, type BenchImage } from './node-images.js';
import { conditions, median, percentile } from './stats.js';
import { runtimeStateCandidates } from '../src/node/runtime/process/state-dir.js';
import { checkPrerequisites } from '../src/node/runtime/cri/containerd/setup.js';

const podCount = Number(process.env.SKIFF_BENCH_PODS ?? 100);
const wave = 10;
/** Pods started one at a time, each on an idle node. */
const singlePods = 10;

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

/**
 * Proportional set size (KiB): the process's private pages plus its share of
 * the pages it shares (one binary's text mapped by 100 shims counts once in
 * all), so the PSS of many processes adds up to what they really take.
 */
function pssKiB(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS and PSS (KiB) of every process of that name (its comm), and how many there are. */
function processesNamed(name: string): { count: number; rssKiB: number; pssKiB: number } {
  let count = 0;
  let rss = 0;
  let pss = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== name) continue;
    } catch {
      continue;
    }
    count++;
    rss += rssKiB(Number(entry));
    pss += pssKiB(Number(entry));
  }
  return { count, rssKiB: rss, pssKiB: pss };
}

/** What the pods of a scenario run: the node's own files, or an image (with the registries file the agent needs for it). */
type PodKind = { kind: 'host' } | { kind: 'image'; image: BenchImage };

/** The runtime the agent runs pods with: skiff's own, or the containerd it starts and configures. */
type NodeRuntime = 'process' | 'containerd';

function describeKind(pods: PodKind, runtime: NodeRuntime): string {
  const on = runtime === 'containerd' ? ' on containerd (managed by the agent)' : " on skiff's process runtime";
  return pods.kind === 'host' ? `host pods${on} (runtimeClassName: host, sleep 3600 of the node)` : `image pods${on} (${pods.image.reference}, sleep 3600 of the image, already on the node)`;
}

/**
 * The per-pod processes a runtime adds beside the containers, by their comm
 * (15 characters at most): skiff's pod shim; containerd's shim
 * (containerd-shim-runc-v2) and the sandbox's pause process (catatonit, or
 * busybox's sleep on a machine without it, then counted as a container).
 */
const podProcesses: Record<NodeRuntime, { shim: string; pause?: string }> = {
  process: { shim: 'skiff-pod' },
  containerd: { shim: 'containerd-shim', pause: 'catatonit' },
};

/** Why containerd cannot be measured here, or false when it can. */
function containerdSkipReason(): string | false {
  try {
    checkPrerequisites();
    return false;
  } catch (error) {
    return (error as Error).message;
  }
}

function podSpec(pods: PodKind): Record<string, unknown> {
  const container = { name: 'c', command: ['sleep', '3600'] };
  // RuntimeClass host: the command on the node's file system, what the start path costs without an image.
  if (pods.kind === 'host') return { runtimeClassName: 'host', terminationGracePeriodSeconds: 1, containers: [{ ...container, image: 'busybox' }] };
  // A tag other than latest: IfNotPresent, so the pods start from the image on the node and pull nothing.
  return { terminationGracePeriodSeconds: 1, containers: [{ ...container, image: pods.image.reference }] };
}

async function createPod(cluster: BenchCluster, name: string, pods: PodKind): Promise<void> {
  const res = await cluster.request('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: podSpec(pods) });
  if (res.status !== 201) throw new Error(res.body);
}

/** Memory the machine can still give (MemAvailable: free memory plus what it can reclaim), in KiB. */
function memAvailableKiB(): number {
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
}

/**
 * Memory charged to skiff's cgroups (pod shims, node helper, containers:
 * their pages, page cache and kernel memory), in KiB; undefined without a
 * memory cgroup. Unlike MemAvailable, nothing else on the machine counts.
 */
function skiffCgroupKiB(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory/skiff/memory.usage_in_bytes', '/sys/fs/cgroup/skiff/memory.current']) {
    try {
      return Number(readFileSync(file, 'utf8')) / 1024;
    } catch {
      /* not this cgroup version */
    }
  }
  return undefined;
}

/** A process's memory cgroup directory (v1's memory controller, else v2's), or undefined. */
function memoryCgroupOf(pid: number): string | undefined {
  try {
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    const v1 = lines.find((line) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(line));
    if (v1) return join('/sys/fs/cgroup/memory', v1.slice(v1.indexOf(':/') + 1));
    const v2 = lines.find((line) => line.startsWith('0::'));
    return v2 ? join('/sys/fs/cgroup', v2.slice(3)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Memory charged to the cgroups runc made for containerd's pods (sandbox and
 * containers: their pages, page cache and kernel memory), in KiB: the
 * distinct memory cgroups of the processes below containerd's shims, other
 * than the shims' own. The shims themselves are not in them (their RSS is
 * given apart, as skiff's pod shims' is).
 */
function containerdPodCgroupsKiB(): number {
  const shims = pidsNamed(podProcesses.containerd.shim);
  const shimCgroups = new Set(shims.map(memoryCgroupOf));
  const cgroups = new Set(shims.flatMap((shim) => descendants(shim)).map(memoryCgroupOf).filter((cgroup) => cgroup && !shimCgroups.has(cgroup)));
  let total = 0;
  for (const cgroup of cgroups) {
    for (const file of ['memory.usage_in_bytes', 'memory.current']) {
      try {
        total += Number(readFileSync(join(cgroup!, file), 'utf8')) / 1024;
        break;
      } catch {
        /* not this cgroup version */
      }
    }
  }
  return total;
}

/** The memory figures of a moment, in KiB, to compare the idle node's with those of the node running pods. */
interface MemorySnapshot {
  memAvailable: number;
  /** NaN without a memory cgroup. */
  cgroup: number;
  /** The Node.js processes of the benchmark: the agent, the control plane and this one. */
  nodeProcessesRss: number;
}

function memorySnapshot(agent: number, controlPlane: number, runtime: NodeRuntime): MemorySnapshot {
  const cgroup = runtime === 'process' ? (skiffCgroupKiB() ?? NaN) : containerdPodCgroupsKiB();
  return { memAvailable: memAvailableKiB(), cgroup, nodeProcessesRss: rssKiB(agent) + rssKiB(controlPlane) + rssKiB(process.pid) };
}

/**
 * What running pods cost in memory, in KiB: MemAvailable is the whole
 * machine's (so whatever else runs meanwhile counts too, and the garbage
 * collectors of the Node.js processes move it by tens of MiB: their RSS
 * change is given beside it); skiff's cgroups hold only the pods' shims and
 * containers, their pages and the kernel memory charged to them.
 */
function memoryGrowth(idle: MemorySnapshot, running: MemorySnapshot): { memAvailableDropKiB: number; cgroupKiB: number; nodeProcessesRssKiB: number } {
  return { memAvailableDropKiB: idle.memAvailable - running.memAvailable, cgroupKiB: running.cgroup - idle.cgroup, nodeProcessesRssKiB: running.nodeProcessesRss - idle.nodeProcessesRss };
}

/** RSS (KiB) of the processes below the roots named `name` (the containers' commands), and how many there are. */
function descendantsNamed(roots: number[], name: string): { count: number; rssKiB: number } {
  let count = 0;
  let rss = 0;
  for (const pid of new Set(roots.flatMap((root) => descendants(root)))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== name) continue;
    } catch {
      continue;
    }
    count++;
    rss += rssKiB(pid);
  }
  return { count, rssKiB: rss };
}

async function deleteAllPods(cluster: BenchCluster): Promise<void> {
  await cluster.request('DELETE', '/api/v1/namespaces/default/pods');
  await until(async () => JSON.parse((await cluster.request('GET', '/api/v1/namespaces/default/pods')).body).items.length === 0, 'the pods to be deleted');
}

/** The PIDs of every process of that comm. */
function pidsNamed(name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) found.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

/**
 * Where a runtime's pods run: below the agent for skiff's runtime; for
 * containerd also below its shims, which daemonize (whether they end up
 * below containerd, a subreaper, or below init depends on the machine).
 */
function podRoots(agent: number, runtime: NodeRuntime): number[] {
  return runtime === 'process' ? [agent] : [agent, ...pidsNamed(podProcesses.containerd.shim)];
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
function treeCpuSeconds(agent: number, runtime: NodeRuntime = 'process'): number {
  const pids = new Set(podRoots(agent, runtime).flatMap((root) => [root, ...descendants(root)]));
  return [...pids].reduce((sum, pid) => sum + cpuWithReaped(pid), 0);
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
 * What one fork + exec of `true` costs (wall time, median of 20), from a
 * Node.js process grown to about the agent's size, and from `sh` (a small
 * process). The big one is a child of its own: grown here, the ballast would
 * be given back whenever the garbage collector got to it, perhaps in the
 * middle of the next scenario's memory figures; a child gives it back when
 * it exits.
 */
function forkCost(agentRssKiB: number): { bigMs: number; smallMs: number; rssMiB: number } {
  const grown = `
    const { spawnSync } = require('node:child_process');
    const rss = () => Number(/VmRSS:\\s+(\\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]);
    const ballast = [];
    for (let size = rss(); size < ${agentRssKiB}; size += 16 * 1024) ballast.push(Buffer.alloc(16 * 1024 * 1024, 1));
    const samples = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      spawnSync('true');
      samples.push(performance.now() - started);
    }
    console.log(JSON.stringify({ samples, rssKiB: rss() }));`;
  const big = JSON.parse(spawnSync(process.execPath, ['-e', grown], { encoding: 'utf8' }).stdout) as { samples: number[]; rssKiB: number };
  // sh forks 20 times itself and reports the total in its own clock (nanoseconds from date).
  const small = spawnSync('sh', ['-c', 's=$(date +%s%N); i=0; while [ $i -lt 20 ]; do /bin/true; i=$((i+1)); done; e=$(date +%s%N); echo $(( (e - s) / 20 ))'], { encoding: 'utf8' });
  return { bigMs: median(big.samples), smallMs: Number(small.stdout.trim()) / 1e6, rssMiB: big.rssKiB / 1024 };
}

/**
 * Waits until the node has torn down every pod: no pod shim left, no
 * sandbox left in the runtime's state (wherever it keeps it: in memory or
 * in the data dir), and no pod volumes left (the agent removes a pod's
 * cgroups, files and volumes after its shim has ended; a burst started
 * before that would be charged with the teardown).
 */
async function untilNodeIdle(agentDir: string, runtime: NodeRuntime): Promise<void> {
  const entries = (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  const stateDirs = runtimeStateCandidates(agentDir);
  const left = () =>
    stateDirs.reduce((sum, state) => sum + entries(join(state, 'sandboxes')).length + entries(join(state, 'pods')).length, 0) +
    entries(join(agentDir, 'pods')).filter((uid) => entries(join(agentDir, 'pods', uid)).includes('volumes')).length;
  await until(async () => processesNamed(podProcesses[runtime].shim).count === 0 && left() === 0, 'the node to tear its pods down');
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

/** The figures of one run of the process-runtime scenario, for the medians of several and the comparison of the two kinds. */
interface RunFigures {
  p50Ms: number;
  /** One pod at a time on an idle node: create → Ready, median. */
  singleP50Ms: number;
  p99Ms: number;
  nodeCpuMs: number;
  agentCpuMs: number;
  controlPlaneCpuMs: number;
  podsPerSecond: number;
  /** Per running pod, KiB: its shim's RSS, its container's, how much the machine's MemAvailable went down, what skiff's memory cgroups grew by (NaN without them). */
  shimRssKiB: number;
  shimPssKiB: number;
  /** containerd's sandbox process (0 on skiff's runtime, which has none). */
  pauseRssKiB: number;
  containerRssKiB: number;
  memAvailableDropKiB: number;
  cgroupKiB: number;
}

export async function run(): Promise<void> {
  // This kind of machine varies by ±30 % from run to run: SKIFF_BENCH_REPEAT=3 gives the medians too.
  const repeat = Math.max(1, Number(process.env.SKIFF_BENCH_REPEAT ?? 1));
  const runtimes = (process.env.SKIFF_BENCH_RUNTIMES ?? 'process,containerd').split(',');
  const imagesSkipped = imageSkipReason();
  const containerdSkipped = !runtimes.includes('containerd') ? 'not asked for (SKIFF_BENCH_RUNTIMES)' : imagesSkipped || containerdSkipReason();
  const processRuntime = runtimes.includes('process');
  const image = imagesSkipped || (!processRuntime && containerdSkipped) ? undefined : await startBenchImage();
  try {
    if (image) console.log(`\nthe image of the image pods: ${describeImage(image)}`);
    const host: RunFigures[] = [];
    const images: RunFigures[] = [];
    const containerd: RunFigures[] = [];
    // The kinds take turns, so that a machine drifting during the benchmark drifts for all of them.
    for (let i = 0; i < repeat; i++) {
      if (processRuntime) host.push(await nodeScenario({ kind: 'host' }, 'process'));
      if (image && processRuntime) images.push(await nodeScenario({ kind: 'image', image }, 'process'));
      if (image && !containerdSkipped) containerd.push(await nodeScenario({ kind: 'image', image }, 'containerd'));
    }
    if (repeat > 1) {
      if (host.length) printMedians('host pods', host);
      if (images.length) printMedians('image pods', images);
      if (containerd.length) printMedians('image pods on containerd', containerd);
    }
    if (!image) {
      console.log(`\nimage pods and pulls skipped: ${imagesSkipped || 'not asked for (SKIFF_BENCH_RUNTIMES)'}`);
    } else {
      if (processRuntime) {
        console.log('');
        printPullFigures(await measurePulls(image));
        printComparison('image vs host pods (image first, ×image/host)', images, host, 'goal for image pods: p99 < 1 s');
      }
      if (containerdSkipped) console.log(`containerd skipped: ${containerdSkipped}`);
      else if (images.length) printComparison("containerd vs skiff's process runtime, image pods (containerd first, ×containerd/process)", containerd, images, 'for pods on containerd');
    }
  } finally {
    await image?.stop();
  }
  if (processRuntime) await simulatedNodes();
}

/** A figure of several runs: their median. */
function medianOf(runs: RunFigures[], pick: (r: RunFigures) => number): number {
  return median(runs.map(pick));
}

function printMedians(kind: string, runs: RunFigures[]): void {
  const med = (pick: (r: RunFigures) => number) => medianOf(runs, pick).toFixed(1);
  console.log(
    `median of ${runs.length} runs, ${kind}: create → Ready p50 ${med((r) => r.p50Ms)} ms, p99 ${med((r) => r.p99Ms)} ms, one at a time p50 ${med((r) => r.singleP50Ms)} ms; per pod start ${med((r) => r.nodeCpuMs)} ms CPU on the node ` +
      `(agent ${med((r) => r.agentCpuMs)} ms), ${med((r) => r.controlPlaneCpuMs)} ms in the control plane; saturation ${med((r) => r.podsPerSecond)} pods/s; ` +
      `per running pod: MemAvailable drop ${med((r) => r.memAvailableDropKiB)} KiB, pods' cgroups ${med((r) => r.cgroupKiB)} KiB, shim ${med((r) => r.shimRssKiB)} KiB RSS, ` +
      `pause ${med((r) => r.pauseRssKiB)} KiB RSS`,
  );
}

/** A comparison line: each figure of the first runs beside the second's, with first/second. */
function printComparison(title: string, first: RunFigures[], second: RunFigures[], goal: string): void {
  const both = (pick: (r: RunFigures) => number, unit: string, digits = 0) => {
    const [a, b] = [medianOf(first, pick), medianOf(second, pick)];
    // A figure one side does not have (no pause process on skiff's runtime) has no ratio.
    return `${a.toFixed(digits)} vs ${b.toFixed(digits)} ${unit}${a > 0 && b > 0 ? ` (×${(a / b).toFixed(2)})` : ''}`;
  };
  const p99 = medianOf(first, (r) => r.p99Ms);
  const runs = first.length > 1 ? `medians of ${first.length} runs each` : 'one run each';
  console.log(
    `${title}, ${runs}: create → Ready p50 ${both((r) => r.p50Ms, 'ms')}, p99 ${both((r) => r.p99Ms, 'ms')}, one pod at a time p50 ${both((r) => r.singleP50Ms, 'ms')} ` +
      `(${goal}: p99 < 1 s ${p99 < 1000 ? 'met' : 'not met'}); node CPU per pod start ${both((r) => r.nodeCpuMs, 'ms', 1)}; ` +
      `saturation ${both((r) => r.podsPerSecond, 'pods/s')}; memory per running pod: MemAvailable drop ${both((r) => r.memAvailableDropKiB, 'KiB')}, ` +
      `pods' cgroups ${both((r) => r.cgroupKiB, 'KiB')}, ` +
      `shim RSS ${both((r) => r.shimRssKiB, 'KiB')}, shim PSS ${both((r) => r.shimPssKiB, 'KiB')}, sandbox (pause) RSS ${both((r) => r.pauseRssKiB, 'KiB')}, container RSS ${both((r) => r.containerRssKiB, 'KiB')}`,
  );
}

/**
 * How many connections the kernel tracks: with the service proxy's
 * masquerade rule loaded, each pod's deletion (its veth going down) makes
 * the kernel walk that whole table, so a machine holding many stale entries
 * (tens of thousands after many test runs) pays more per pod.
 */
function conntrackNote(): string {
  try {
    return `, ${Number(readFileSync('/proc/sys/net/netfilter/nf_conntrack_count', 'utf8'))} tracked connections`;
  } catch {
    return '';
  }
}

/** The agent's command line: an image pod's agent is told where the loopback registry is. */
function agentArgs(cluster: BenchCluster, agentDir: string, pods: PodKind, runtime: NodeRuntime): string[] {
  const token = readFileSync(join(cluster.dataDir, 'join-token'), 'utf8').trim();
  const registries = pods.kind === 'image' ? ['--registries', pods.image.registriesFile] : [];
  const server = ['--server', `https://127.0.0.1:${cluster.port}`, '--token', token];
  return [cliPath, 'agent', ...server, '--name', 'bench-node', '--data-dir', agentDir, '--pod-cidr', '10.42.250.0/24', '--runtime', runtime, ...registries];
}

/**
 * Puts the image into containerd's store through a first pod (containerd
 * pulls it for the pod) and waits until the node has torn that pod down:
 * the pods measured then start from an image on the node, as on skiff's
 * runtime, where `skiff images pull` put it there before the agent started.
 */
async function warmUpContainerd(cluster: BenchCluster, agentDir: string, pods: PodKind, ready: Map<string, number>): Promise<void> {
  await createPod(cluster, 'warm-up', pods);
  await until(async () => ready.has('warm-up'), 'the warm-up pod (and the image pull) on containerd', 180_000);
  await deleteAllPods(cluster);
  await untilNodeIdle(agentDir, 'containerd');
}

/**
 * What a joined agent leaves on the machine once its pods are gone (it keeps
 * containers for its next start by design): its bridge and nftables tables,
 * and containerd's state in /run — `skiff down` removes them, as a user would.
 */
function downAgent(agentDir: string): void {
  const down = spawnSync(process.execPath, [cliPath, 'down', '--data-dir', agentDir], { encoding: 'utf8', timeout: 120_000 });
  if (down.status !== 0) console.error(`skiff down --data-dir ${agentDir} failed: ${down.stderr}`);
}

async function nodeScenario(pods: PodKind, runtime: NodeRuntime): Promise<RunFigures> {
  console.log(`\n## node agent, ${describeKind(pods, runtime)} (${conditions()}, ${process.getuid?.() === 0 ? 'root: isolated pods' : 'ordinary user: plain processes'}${conntrackNote()})`);
  const agentDir = mkdtempSync(join(tmpdir(), 'skiff-bench-agent-'));
  let cluster: BenchCluster;
  try {
    // The pods measured start from an image already on the node. Pulled before the agent starts (not by a
    // first pod): the agent is then as fresh as a host pod's, without the pull's garbage in its heap,
    // which would be collected while its memory with 100 pods is measured.
    if (pods.kind === 'image' && runtime === 'process') prePull(pods.image, agentDir);
    cluster = await startBenchCluster();
  } catch (error) {
    rmSync(agentDir, { recursive: true, force: true });
    throw error;
  }
  const agent = spawn(process.execPath, agentArgs(cluster, agentDir, pods, runtime), { stdio: ['ignore', 'ignore', 'inherit'] });
  // When the watching client first saw each pod bound, with a status from the node, and Ready.
  const ready = new Map<string, number>();
  const bound = new Map<string, number>();
  const reported = new Map<string, number>();
  // Only the pods of a phase count (events of a pod of an earlier phase may still come in).
  const allReady = (names: Iterable<string>) => [...names].every((name) => ready.has(name));
  const stopWatch = cluster.stream('/api/v1/namespaces/default/pods?watch=1', (line) => {
    const event = JSON.parse(line) as { object: { metadata: { name: string }; spec?: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } } };
    const name = event.object.metadata.name;
    const now = performance.now();
    if (event.object.spec?.nodeName && !bound.has(name)) bound.set(name, now);
    if (event.object.status?.conditions?.some((c) => c.type === 'Initialized') && !reported.has(name)) reported.set(name, now);
    const isReady = event.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (isReady && !ready.has(name)) ready.set(name, now);
  });
  let finished = false;
  try {
    await until(async () => {
      const res = await cluster.request('GET', '/api/v1/nodes/bench-node');
      return res.status === 200 && (JSON.parse(res.body).status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    }, 'the node to be Ready', runtime === 'containerd' ? 180_000 : 120_000);
    if (runtime === 'containerd') await warmUpContainerd(cluster, agentDir, pods, ready);
    await delay(2000);
    const idleRss = rssKiB(agent.pid!);
    const memoryIdle = memorySnapshot(agent.pid!, cluster.child.pid!, runtime);

    const created = new Map<string, number>();
    // What runs below the agent, besides it, whose CPU the tree figures include.
    const belowAgent = runtime === 'process' ? 'node helper, pod shims and containers' : 'containerd, its shims, pause processes and containers';
    const cpuBeforeStart = treeCpuSeconds(agent.pid!, runtime);
    const agentCpuBefore = cpuSeconds(agent.pid!);
    const agentSystemBefore = systemSeconds(agent.pid!);
    const controlPlaneCpuBefore = cpuSeconds(cluster.child.pid!);
    const forksBefore = forksSinceBoot();
    for (let i = 0; i < podCount; i += wave) {
      await Promise.all(
        Array.from({ length: Math.min(wave, podCount - i) }, async (_, j) => {
          const name = `p-${i + j}`;
          created.set(name, performance.now());
          await createPod(cluster, name, pods);
        }),
      );
      await delay(100);
    }
    await until(async () => allReady(created.keys()), `${podCount} pods Ready`, 300_000);
    const startCpu = treeCpuSeconds(agent.pid!, runtime) - cpuBeforeStart;
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
      `  per pod start: ${perPod(startCpu)} CPU on the node (the agent ${perPod(agentCpu)}, ${perPod(agentSystem)} of it in the kernel; ${belowAgent} ${perPod(startCpu - agentCpu)}), ` +
        `${perPod(controlPlaneCpu)} in the control plane; ${(forks / podCount).toFixed(1)} processes and threads created on the whole machine`,
    );

    await delay(5000);
    const cpuBefore = cpuSeconds(agent.pid!);
    const window = 30;
    await delay(window * 1000);
    const cpu = ((cpuSeconds(agent.pid!) - cpuBefore) / window) * 100;
    const busyRss = rssKiB(agent.pid!);
    const shims = processesNamed(podProcesses[runtime].shim);
    const pause = podProcesses[runtime].pause;
    const pauses = pause ? processesNamed(pause) : { count: 0, rssKiB: 0, pssKiB: 0 };
    const containers = descendantsNamed(podRoots(agent.pid!, runtime), 'sleep');
    const memory = memoryGrowth(memoryIdle, memorySnapshot(agent.pid!, cluster.child.pid!, runtime));
    const signed = (kib: number) => `${kib < 0 ? '−' : '+'}${Math.abs(kib / 1024).toFixed(0)} MiB`;
    console.log(
      `with ${podCount} running pods: agent RSS ${(busyRss / 1024).toFixed(0)} MiB (idle with no pods ${(idleRss / 1024).toFixed(0)} MiB, ${signed(busyRss - idleRss)}), agent CPU ${cpu.toFixed(1)}% of one core over ${window} s`,
    );
    const inAll = (what: { rssKiB: number; pssKiB: number }) =>
      `${(what.rssKiB / 1024).toFixed(1)} MiB RSS in all (${(what.rssKiB / podCount).toFixed(0)} KiB per pod), PSS ${(what.pssKiB / podCount).toFixed(0)} KiB per pod`;
    console.log(`  pod shims: ${shims.count} processes, ${inAll(shims)}`);
    if (pause) console.log(`  sandbox (${pause}) processes: ${pauses.count}, ${inAll(pauses)}`);
    const kibPerPod = (kib: number) => `${(kib / podCount).toFixed(0)} KiB`;
    console.log(
      `  memory per running pod: the machine's MemAvailable ${kibPerPod(memory.memAvailableDropKiB)} lower (${(memory.memAvailableDropKiB / 1024).toFixed(1)} MiB for ${podCount} pods, ` +
        `against the idle node; the agent's, control plane's and this benchmark's RSS changed by ${signed(memory.nodeProcessesRssKiB)} of it); ` +
        `${Number.isNaN(memory.cgroupKiB) ? 'no memory cgroup' : `${kibPerPod(memory.cgroupKiB)} more charged to ${runtime === 'process' ? "skiff's memory cgroups (shims included)" : "the pods' memory cgroups (shims not included)"}`}; ` +
        `pod shim ${kibPerPod(shims.rssKiB)} RSS; container ${(containers.rssKiB / Math.max(1, containers.count)).toFixed(0)} KiB RSS (${containers.count} sleep processes)`,
    );
    const fork = forkCost(busyRss);
    console.log(`  one fork + exec of true: ${fork.bigMs.toFixed(2)} ms from a process of ${fork.rssMiB.toFixed(0)} MiB RSS (the agent's size), ${fork.smallMs.toFixed(2)} ms from sh (median of 20)`);

    // Clean up: the pods go (so no container outlives the benchmark), and the
    // node finishes tearing them down, so the burst below starts on an idle node.
    await deleteAllPods(cluster);
    await untilNodeIdle(agentDir, runtime);

    // One pod at a time on an idle node: what a single pod start takes, with no queue in front of it
    // (the waves above measure how the node keeps up; on a slow runtime they measure its queue).
    const single: number[] = [];
    for (let i = 0; i < singlePods; i++) {
      const name = `one-${i}`;
      const at = performance.now();
      await createPod(cluster, name, pods);
      await until(async () => ready.has(name), `pod ${name} Ready`);
      single.push(ready.get(name)! - at);
    }
    console.log(`one pod at a time (${singlePods} pods, each created once the one before is Ready): create → Ready p50 ${median(single).toFixed(0)} ms, max ${Math.max(...single).toFixed(0)} ms`);
    await deleteAllPods(cluster);
    await untilNodeIdle(agentDir, runtime);

    // Saturation: the pods come as fast as the client can create them; the node starts them as fast as it can.
    const burstNames = Array.from({ length: podCount }, (_, i) => `s-${i}`);
    const burstTreeCpu = treeCpuSeconds(agent.pid!, runtime);
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
      while (next < podCount) await createPod(cluster, burstNames[next++], pods);
    }));
    await until(async () => allReady(burstNames), `${podCount} pods Ready`, 300_000);
    const seconds = (Math.max(...burstNames.map((name) => ready.get(name)!)) - burst) / 1000;
    // Who was busy during the burst (measured up to when the watch saw the last pod Ready, so a little late).
    const busy = (cpu: number) => `${((cpu * 1000) / podCount).toFixed(1)} ms/pod (${((cpu / seconds) * 100).toFixed(0)} % of a core)`;
    console.log(`saturation (${podCount} pods created at once, ${wave} requests in flight): all Ready in ${seconds.toFixed(2)} s, ${(podCount / seconds).toFixed(0)} pods/s`);
    console.log(
      `  during it: agent ${busy(cpuSeconds(agent.pid!) - burstAgentCpu)}, ${belowAgent} ${busy(treeCpuSeconds(agent.pid!, runtime) - burstTreeCpu - (cpuSeconds(agent.pid!) - burstAgentCpu))}, ` +
        `control plane ${busy(cpuSeconds(cluster.child.pid!) - burstControlPlaneCpu)}, this benchmark's client ${busy(cpuUsedSince(burstOwnCpu))}; ` +
        `the machine ${busy(machineBusySeconds() - burstMachine)}`,
    );
    // The next scenario (the other kind) starts on an idle machine.
    await deleteAllPods(cluster);
    await untilNodeIdle(agentDir, runtime);
    finished = true;
    return {
      p50Ms: median(latencies),
      singleP50Ms: median(single),
      p99Ms: percentile(latencies, 99),
      nodeCpuMs: (startCpu * 1000) / podCount,
      agentCpuMs: (agentCpu * 1000) / podCount,
      controlPlaneCpuMs: (controlPlaneCpu * 1000) / podCount,
      podsPerSecond: podCount / seconds,
      shimRssKiB: shims.rssKiB / podCount,
      shimPssKiB: shims.pssKiB / podCount,
      pauseRssKiB: pauses.rssKiB / podCount,
      containerRssKiB: containers.rssKiB / Math.max(1, containers.count),
      memAvailableDropKiB: memory.memAvailableDropKiB / podCount,
      cgroupKiB: memory.cgroupKiB / podCount,
    };
  } finally {
    stopWatch();
    // A stopping agent leaves its containers running (for the next agent to adopt): after a failure,
    // remove the pods first so no container outlives the benchmark (as far as the node still answers).
    if (!finished) await deleteAllPods(cluster).then(() => untilNodeIdle(agentDir, runtime)).catch(() => {});
    if (agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
    await cluster.stop();
    downAgent(agentDir);
    rmSync(agentDir, { recursive: true, force: true });
  }
}
