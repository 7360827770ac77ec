/**
 * What observability costs (issue 15), medians of 3 runs:
 * - the apiserver's /metrics on the request path: ConfigMap creates (as the
 *   security bench: 500 sequential, then 2000 from 32 clients) against
 *   `skiff up --no-controllers`, without scraping and with a scraper that
 *   GETs /metrics every second as Prometheus would (the admin, Prometheus's
 *   Accept header); the runs alternate so a drifting machine drifts for both;
 * - a node's scrape with 100 running pods: `skiff up --runtime process` (as
 *   `nobody` when run as root, as the e2e harness: plain processes, no
 *   isolation to set up) with 100 RuntimeClass-host pods running `sleep`;
 *   /metrics/resource, /metrics/cadvisor and /metrics through the
 *   apiserver's node proxy and directly at the agent's endpoint; then
 *   metrics.k8s.io's pod list (what `kubectl top pods -A` reads).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parse } from 'yaml';
import { cliPath, freePort, measureCreates, startBenchCluster, type BenchCluster } from './cluster.js';
import { conditions, median, ms, percentile } from './stats.js';

const runs = 3;
const podCount = Number(process.env.SKIFF_BENCH_PODS ?? 100);
/** The Accept header of Prometheus 2.x's scrapes. */
const prometheusAccept = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
/** The node agent reads /proc once per second for every scrape under way (NodeStatsProvider's cache): rounds further apart than that read afresh. */
const roundSpacingMs = 1100;

type Response = { status: number; body: string };

/** The fields of /proc/<pid>/stat after the command (state first), or undefined when it is gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return undefined;
  }
}

/** `utime + stime` of a process, in seconds (USER_HZ taken as 100). */
function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : NaN;
}

/** Busy CPU seconds of the whole machine (all but idle and I/O wait): what others use meanwhile shows as the difference from ours. */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return (fields.reduce((sum, value) => sum + value, 0) - fields[3] - fields[4]) / 100;
}

/**
 * How busy the machine was with work other than this benchmark and its
 * clusters over a phase (`clusterSeconds`: the CPU seconds its clusters used
 * so far): a contention note for the phase's figures.
 */
function contentionMeter(clusterSeconds: () => number): () => string {
  const wall = performance.now();
  const machine = machineBusySeconds();
  const own = process.cpuUsage();
  const cluster = clusterSeconds();
  return () => {
    const seconds = (performance.now() - wall) / 1000;
    const ownUsage = process.cpuUsage(own);
    const ours = (ownUsage.user + ownUsage.system) / 1e6 + clusterSeconds() - cluster;
    const others = Math.max(0, machineBusySeconds() - machine - ours);
    return `other processes used ${((others / seconds) * 100).toFixed(0)}% of one core meanwhile, of ${os.cpus().length}`;
  };
}

/** CPU seconds of the clusters the request-path runs started and stopped. */
let stoppedClustersCpu = 0;

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { key: 'value'.repeat(20) } });

/** GETs the apiserver's /metrics every `intervalMs` (one scrape at a time, as Prometheus per target) until stopped. */
function startScraper(cluster: BenchCluster, intervalMs = 1000) {
  const samples: { ms: number; bytes: number }[] = [];
  const stop = new AbortController();
  const loop: Promise<void> = (async () => {
    for (let next = performance.now(); !stop.signal.aborted; ) {
      const started = performance.now();
      const res = await cluster.request('GET', '/metrics', undefined, undefined, { Accept: prometheusAccept });
      if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${res.body.slice(0, 200)}`);
      samples.push({ ms: performance.now() - started, bytes: Buffer.byteLength(res.body) });
      next += intervalMs;
      await delay(Math.max(0, next - performance.now()), undefined, { signal: stop.signal }).catch(() => {});
    }
  })();
  loop.catch(() => {}); // a failed scrape is thrown where the scraper is stopped, not as an unhandled rejection
  return async () => {
    stop.abort();
    await loop;
    return samples;
  };
}

interface CreateFigures {
  p50: number;
  p99: number;
  perSecond: number;
  concurrent: number;
  scrapes?: { count: number; p50: number; bytes: number; idleP50: number; cpuMsPerScrape: number };
}

async function createsOnce(scraping: boolean): Promise<CreateFigures> {
  const cluster = await startBenchCluster(undefined, false, ['--no-controllers']);
  try {
    const stopScraper = scraping ? startScraper(cluster) : undefined;
    const result = await measureCreates(cluster, '/api/v1/namespaces/default/configmaps', configMap, 500, 2000, 32).finally(() => stopScraper?.());
    const figures: CreateFigures = { p50: percentile(result.times, 50), p99: percentile(result.times, 99), perSecond: result.perSecond, concurrent: result.concurrentPerSecond };
    if (stopScraper) {
      const during = await stopScraper();
      // What one scrape costs the apiserver after the load (its /metrics now holds the load's series): 20 back to back.
      const idle: number[] = [];
      const cpuBefore = cpuSeconds(cluster.child.pid!);
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        await cluster.request('GET', '/metrics', undefined, undefined, { Accept: prometheusAccept });
        idle.push(performance.now() - started);
      }
      const cpuMsPerScrape = ((cpuSeconds(cluster.child.pid!) - cpuBefore) * 1000) / 20;
      figures.scrapes = { count: during.length, p50: median(during.map((s) => s.ms)), bytes: during.at(-1)?.bytes ?? 0, idleP50: median(idle), cpuMsPerScrape };
    }
    return figures;
  } finally {
    stoppedClustersCpu += cpuSeconds(cluster.child.pid!) || 0;
    await cluster.stop();
  }
}

async function requestPathCost(): Promise<void> {
  console.log(`\n## apiserver /metrics on the request path (${conditions()}; skiff up --no-controllers, admin, audit on as by default)`);
  const contention = contentionMeter(() => stoppedClustersCpu);
  const plain: CreateFigures[] = [];
  const scraped: CreateFigures[] = [];
  for (let run = 0; run < runs; run++) {
    plain.push(await createsOnce(false));
    scraped.push(await createsOnce(true));
  }
  const med = (list: CreateFigures[], pick: (f: CreateFigures) => number) => median(list.map(pick));
  const spread = (list: CreateFigures[]) => `runs ${Math.min(...list.map((f) => f.concurrent)).toFixed(0)}–${Math.max(...list.map((f) => f.concurrent)).toFixed(0)}`;
  const line = (label: string, list: CreateFigures[]) =>
    `${label} (median of ${runs}): sequential p50 ${ms(med(list, (f) => f.p50))}, p99 ${ms(med(list, (f) => f.p99))}, ${med(list, (f) => f.perSecond).toFixed(0)}/s; ` +
    `32 clients ${med(list, (f) => f.concurrent).toFixed(0)}/s (${spread(list)})`;
  console.log(line('no scraping', plain));
  console.log(line('scraping /metrics every 1 s', scraped));
  const scrape = (pick: (s: NonNullable<CreateFigures['scrapes']>) => number) => med(scraped, (f) => pick(f.scrapes!));
  console.log(
    `  scrapes during a run: ${scrape((s) => s.count)} (p50 ${ms(scrape((s) => s.p50))} under load); after the load, 20 back to back: p50 ${ms(scrape((s) => s.idleP50))}, ` +
      `${scrape((s) => s.cpuMsPerScrape).toFixed(1)} ms of apiserver CPU each (one a second: ${(scrape((s) => s.cpuMsPerScrape) / 10).toFixed(1)}% of a core), body ${(scrape((s) => s.bytes) / 1024).toFixed(1)} KiB`,
  );
  const ratio = (pick: (f: CreateFigures) => number) => (med(scraped, pick) / med(plain, pick)).toFixed(2);
  console.log(`scraping relative to none: 32 clients ${ratio((f) => f.concurrent)}×, sequential ${ratio((f) => f.perSecond)}×, sequential p99 ${ratio((f) => f.p99)}× (${contention()})`);
}

/** `skiff up --runtime process`, as nobody when this runs as root (pods are then plain processes, as in the e2e tests). */
interface NodeCluster {
  pid(): number | undefined;
  request(method: string, path: string, body?: unknown, accept?: string): Promise<Response>;
  /** A GET at the agent's own endpoint (its InternalIP and kubelet port), with the admin's client certificate. */
  agentGet(host: string, port: number, path: string, accept?: string): Promise<Response>;
  stop(): Promise<void>;
}

function get(agent: https.Agent, options: https.RequestOptions, payload?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = https.request({ agent, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${options.method} ${options.path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The processes below a PID (pod shims, containers …), from /proc, with their start times (so a reused PID is never signalled). */
function descendants(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  const started = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const fields = /^\d+$/.test(entry) ? statFields(entry) : undefined;
    if (!fields) continue;
    children.set(Number(fields[1]), [...(children.get(Number(fields[1])) ?? []), Number(entry)]);
    started.set(Number(entry), fields[19]);
  }
  const found = new Map<number, string>();
  for (const queue = [root]; queue.length; ) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.set(child, started.get(child)!);
      queue.push(child);
    }
  }
  return found;
}

/** SIGKILL to each process that is still the one found (the same start time). */
function killFound(found: Map<number, string>): void {
  for (const [pid, startTime] of found) {
    try {
      if (statFields(pid)?.[19] === startTime) process.kill(pid, 'SIGKILL');
    } catch {
      /* ended meanwhile */
    }
  }
}

async function startNodeCluster(): Promise<NodeCluster> {
  const root = mkdtempSync(join(tmpdir(), 'skiff-bench-obs-'));
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: dataDir } } : {};
  if (asRoot) {
    chmodSync(root, 0o755);
    chownSync(dataDir, 65534, 65534);
  }
  const port = await freePort();
  // No ingress listeners: their fixed ports might be another cluster's on this machine.
  const args = [cliPath, 'up', '--data-dir', dataDir, '--port', String(port), '--runtime', 'process', '--ingress-http-port', '0', '--ingress-https-port', '0'];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...user });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopChild = async () => {
    // Containers outlive a stopping agent (the next one adopts them): whatever is still below skiff goes by its PID.
    const left = child.pid ? descendants(child.pid) : new Map<number, string>();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    killFound(left);
    rmSync(root, { recursive: true, force: true });
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  };
  // Interrupted: skiff gets the terminal's signal too and stops, but its containers would stay; they go by PID.
  const onSignal = (signal: NodeJS.Signals) => {
    if (child.pid) killFound(descendants(child.pid));
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    process.exit(128 + (os.constants.signals[signal] ?? 1));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`skiff up did not become ready:\n${output}`)), 30_000);
      const record = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-64 * 1024);
        if (output.includes('API server ready at')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', record);
      child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-64 * 1024)));
      child.once('exit', (code) => reject(new Error(`skiff up exited with ${code}:\n${output}`)));
    });
  } catch (error) {
    await stopChild();
    throw error;
  }
  const kubeconfig = parse(readFileSync(join(dataDir, 'kubeconfig.yaml'), 'utf8'));
  const decode = (value: string) => Buffer.from(value, 'base64');
  const credentials = {
    ca: decode(kubeconfig.clusters[0].cluster['certificate-authority-data']),
    cert: decode(kubeconfig.users[0].user['client-certificate-data']),
    key: decode(kubeconfig.users[0].user['client-key-data']),
  };
  const agent = new https.Agent({ keepAlive: true, maxSockets: 16, ...credentials });
  // The agent's serving certificate names the node, not the address dialled: the chain is checked, the name is not.
  const nodeAgent = new https.Agent({ keepAlive: true, maxSockets: 4, ...credentials, checkServerIdentity: () => undefined });
  return {
    pid: () => child.pid,
    request(method, path, body, accept) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = { ...(accept ? { Accept: accept } : {}), ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) };
      return get(agent, { host: '127.0.0.1', port, method, path, headers }, payload);
    },
    agentGet: (host, agentPort, path, accept) => get(nodeAgent, { host, port: agentPort, method: 'GET', path, headers: accept ? { Accept: accept } : {} }),
    async stop() {
      agent.destroy();
      nodeAgent.destroy();
      await stopChild();
    },
  };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(250);
  }
}

const list = async (cluster: NodeCluster, path: string) => {
  const res = await cluster.request('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as { items: Record<string, any>[] };
};

/** 100 RuntimeClass-host pods running `sleep` (15 minutes: a leak is bounded), ten requests in flight; resolves when all run. */
async function startPods(cluster: NodeCluster): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < podCount) {
        const name = `sleeper-${next++}`;
        const spec = { runtimeClassName: 'host', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '900'] }] };
        const res = await cluster.request('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec });
        if (res.status !== 201) throw new Error(`create pod ${name}: ${res.status} ${res.body.slice(0, 300)}`);
      }
    }),
  );
  await until(async () => (await list(cluster, '/api/v1/namespaces/default/pods')).items.filter((p) => p.status?.phase === 'Running').length >= podCount, `${podCount} pods Running`, 120_000);
  return (performance.now() - started) / 1000;
}

/** Timings of one path, and whether the agent read /proc for it (fresh) or answered from its snapshot of the last second (cached). */
type PathSamples = Record<'fresh' | 'cached' | 'all', number[]>;
const nodePaths = ['/metrics/resource', '/metrics/cadvisor', '/metrics'] as const;
const routes = ['proxy', 'direct'] as const;

/**
 * One run: 20 rounds, each at least 1.1 s after the last began, so the
 * first of /metrics/resource and /metrics/cadvisor in a round reads the
 * node afresh (which of them alternates) and the other uses that read;
 * /metrics (kubelet_*) has no cache. Through the apiserver's proxy, then
 * directly at the agent (from the cache then, but for /metrics).
 */
async function nodeScrapeRun(cluster: NodeCluster, node: { name: string; host: string; port: number }, sizes: Map<string, number>) {
  const samples = new Map<string, PathSamples>();
  for (const route of routes) for (const path of nodePaths) samples.set(`${route} ${path}`, { fresh: [], cached: [], all: [] });
  for (let round = 0; round < 20; round++) {
    const roundStarted = performance.now();
    const order = round % 2 === 0 ? nodePaths : ([nodePaths[1], nodePaths[0], nodePaths[2]] as const);
    for (const route of routes) {
      for (const path of order) {
        const started = performance.now();
        const res = route === 'proxy' ? await cluster.request('GET', `/api/v1/nodes/${node.name}/proxy${path}`, undefined, prometheusAccept) : await cluster.agentGet(node.host, node.port, path, prometheusAccept);
        const took = performance.now() - started;
        if (res.status !== 200) throw new Error(`GET ${path} (${route}): ${res.status} ${res.body.slice(0, 300)}`);
        sizes.set(path, Buffer.byteLength(res.body));
        const series = samples.get(`${route} ${path}`)!;
        series.all.push(took);
        if (path !== '/metrics') series[route === 'proxy' && path === order[0] ? 'fresh' : 'cached'].push(took);
      }
    }
    await delay(Math.max(0, roundSpacingMs - (performance.now() - roundStarted)));
  }
  return samples;
}

/** metrics.k8s.io's pod list (kubectl top pods -A): 20 reads once it lists every pod. */
async function podMetricsRun(cluster: NodeCluster): Promise<{ times: number[]; bytes: number; items: number }> {
  const times: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    last = await cluster.request('GET', '/apis/metrics.k8s.io/v1beta1/pods');
    times.push(performance.now() - started);
    if (last.status !== 200) throw new Error(`metrics.k8s.io pods: ${last.status} ${last.body.slice(0, 300)}`);
  }
  return { times, bytes: Buffer.byteLength(last!.body), items: JSON.parse(last!.body).items.length };
}

async function nodeScrapes(): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  console.log(
    `\n## node metrics with ${podCount} running pods (${conditions()}; skiff up --runtime process${asRoot ? ' as nobody' : ''}: RuntimeClass host pods running sleep as plain processes, ` +
      'agent, apiserver and controllers in one process)',
  );
  const cluster = await startNodeCluster();
  try {
    const isReady = (n: Record<string, any>) => (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    await until(async () => (await list(cluster, '/api/v1/nodes')).items.some(isReady), 'the node to be Ready', 60_000);
    const nodeObject = (await list(cluster, '/api/v1/nodes')).items.find(isReady)!;
    const node = {
      name: nodeObject.metadata.name as string,
      host: (nodeObject.status.addresses as { type: string; address: string }[]).find((a) => a.type === 'InternalIP')!.address,
      port: nodeObject.status.daemonEndpoints.kubeletEndpoint.Port as number,
    };
    const startSeconds = await startPods(cluster);
    console.log(`${podCount} pods Running ${startSeconds.toFixed(1)} s after the first create (node ${node.name}, agent endpoint ${node.host}:${node.port})`);
    const contention = contentionMeter(() => cpuSeconds(cluster.pid()!));
    const sizes = new Map<string, number>();
    const perRun: Map<string, PathSamples>[] = [];
    for (let run = 0; run < runs; run++) perRun.push(await nodeScrapeRun(cluster, node, sizes));
    const at = (key: string, kind: keyof PathSamples, p: number) => median(perRun.map((r) => percentile(r.get(key)![kind], p)));
    const figure = (key: string, kind: keyof PathSamples) => `p50 ${ms(at(key, kind, 50))}, p99 ${ms(at(key, kind, 99))}`;
    for (const path of nodePaths) {
      const size = `${((sizes.get(path) ?? 0) / 1024).toFixed(1)} KiB`;
      if (path === '/metrics') {
        console.log(`GET ${path} (${size}): via the apiserver's node proxy ${figure(`proxy ${path}`, 'all')}; at the agent ${figure(`direct ${path}`, 'all')}`);
      } else {
        console.log(
          `GET ${path} (${size}): via the apiserver's node proxy, reading the node ${figure(`proxy ${path}`, 'fresh')}, from the agent's 1 s snapshot ${figure(`proxy ${path}`, 'cached')}; ` +
            `at the agent, from the snapshot ${figure(`direct ${path}`, 'cached')}`,
        );
      }
    }
    const read = (path: string) => ms(at(`proxy ${path}`, 'fresh', 50) - at(`proxy ${path}`, 'cached', 50));
    console.log(
      `  reading the node for a scrape (fresh − snapshot, p50): ${read('/metrics/resource')} for /metrics/resource, ${read('/metrics/cadvisor')} for /metrics/cadvisor; ` +
        `the proxy hop (via the proxy − at the agent, /metrics p50): ${ms(at('proxy /metrics', 'all', 50) - at('direct /metrics', 'all', 50))}`,
    );
    console.log(`  (median of ${runs} runs of 20 rounds 1.1 s apart, fresh and snapshot figures of 10 samples each per run; at the agent over a kept-alive connection; ${contention()})`);

    // The first read starts the apiserver's scraper (it primes: a scrape now and another a second later, waiting up to 3 s).
    const coldStarted = performance.now();
    const cold = await cluster.request('GET', '/apis/metrics.k8s.io/v1beta1/pods');
    const coldMs = performance.now() - coldStarted;
    const coldItems = cold.status === 200 ? JSON.parse(cold.body).items.length : `status ${cold.status}`;
    await until(async () => (await list(cluster, '/apis/metrics.k8s.io/v1beta1/pods')).items.length >= podCount, `metrics of ${podCount} pods`, 30_000);
    const top: { times: number[]; bytes: number; items: number }[] = [];
    for (let run = 0; run < runs; run++) top.push(await podMetricsRun(cluster));
    console.log(
      `GET /apis/metrics.k8s.io/v1beta1/pods (kubectl top pods -A): first read ${ms(coldMs)} (${coldItems} pods, priming the scraper); then ${top[0].items} pods, ` +
        `${(top[0].bytes / 1024).toFixed(1)} KiB: p50 ${ms(median(top.map((t) => percentile(t.times, 50))))}, p99 ${ms(median(top.map((t) => percentile(t.times, 99))))} (median of ${runs} runs of 20)`,
    );
  } finally {
    // The pods go first, so no container outlives the benchmark; stop() then ends whatever is left by its PID.
    await cluster
      .request('DELETE', '/api/v1/namespaces/default/pods')
      .then(() => until(async () => (await list(cluster, '/api/v1/namespaces/default/pods')).items.length === 0, 'the pods to be deleted', 60_000))
      .catch((err: Error) => console.log(`  (pods not all deleted: ${err.message}; their processes are ended by PID)`));
    await cluster.stop();
  }
}

export async function run(): Promise<void> {
  const started = performance.now();
  console.log(`\nload average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  // SKIFF_BENCH_PART=request or node runs one half.
  const part = process.env.SKIFF_BENCH_PART;
  if (part !== 'node') await requestPathCost();
  if (part !== 'request') await nodeScrapes();
  console.log(`observability suite: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
