/**
 * apiserver watch benchmarks, run as part of `npm run bench -- apiserver`:
 *
 * 1. RSS while 10,000 updates of 10 KB ConfigMaps happen, with one watcher
 *    that never reads its socket, against the same run without it (a watcher
 *    that falls behind is closed, so the two should stay close).
 * 2. Resuming 100 watches after `kill -9` of the server and a restart: every
 *    watch starts from a resourceVersion acknowledged before the crash; how
 *    long until all got their first event and all the events after it, and
 *    how many got 410 (none should).
 *
 * The server is `skiff up --runtime none --no-controllers`: the apiserver
 * alone, as `skiff server` runs it.
 */
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startBenchCluster, type BenchCluster } from './cluster.js';
import { ms } from './stats.js';

const serverArgs = ['--no-controllers'];

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

function credentials(cluster: BenchCluster) {
  const kubeconfig = parse(readFileSync(join(cluster.dataDir, 'kubeconfig.yaml'), 'utf8'));
  const decode = (value: string) => Buffer.from(value, 'base64');
  return {
    ca: decode(kubeconfig.clusters[0].cluster['certificate-authority-data']),
    cert: decode(kubeconfig.users[0].user['client-certificate-data']),
    key: decode(kubeconfig.users[0].user['client-key-data']),
  };
}

/** A watch on a raw TLS socket that reads the response headers and then never reads again. */
async function openStalledWatch(cluster: BenchCluster, path: string): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port: cluster.port, servername: 'localhost', ...credentials(cluster) });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  await new Promise<void>((resolve) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString();
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
  });
  return socket;
}

const tenKiB = 'x'.repeat(10 * 1024);
const configMap = (name: string, i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i), payload: tenKiB } });

/** `updates` unconditional updates of 10 KB ConfigMaps from 8 clients, sampling the server's RSS. */
async function updateWhileSampling(cluster: BenchCluster, updates: number): Promise<{ peak: number; end: number; seconds: number }> {
  const base = '/api/v1/namespaces/default/configmaps';
  const names = Array.from({ length: 8 }, (_, i) => `churn-${i}`);
  for (const name of names) await cluster.request('POST', base, configMap(name, 0));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(cluster.child.pid!))), 100);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    names.map(async (name) => {
      while (next < updates) {
        const i = next++;
        const res = await cluster.request('PUT', `${base}/${name}`, configMap(name, i));
        if (res.status !== 200) throw new Error(`update failed: ${res.status} ${res.body}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const end = rssMiB(cluster.child.pid!);
  return { peak: Math.max(peak, end), end, seconds };
}

/** Resumes reading a stalled socket and waits (up to 10 s) for the server to have closed it. */
async function closedByServer(socket: tls.TLSSocket): Promise<boolean> {
  if (socket.destroyed) return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 10_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.resume();
  });
}

async function nonReadingWatcher(): Promise<void> {
  const updates = 10_000;
  const runs: Record<string, { peak: number; end: number; seconds: number; closed?: boolean }> = {};
  for (const withWatcher of [false, true]) {
    const cluster = await startBenchCluster(undefined, false, serverArgs);
    try {
      const stalled = withWatcher ? await openStalledWatch(cluster, '/api/v1/namespaces/default/configmaps?watch=1') : undefined;
      const figures = await updateWhileSampling(cluster, updates);
      runs[withWatcher ? 'with' : 'without'] = { ...figures, closed: stalled ? await closedByServer(stalled) : undefined };
    } finally {
      await cluster.stop();
    }
  }
  const { with: stalled, without: baseline } = runs;
  console.log(`${updates} updates of 10 KB ConfigMaps (8 clients), apiserver RSS:`);
  console.log(`  without a stalled watcher: peak ${baseline.peak.toFixed(1)} MiB, at the end ${baseline.end.toFixed(1)} MiB (${(updates / baseline.seconds).toFixed(0)} updates/s)`);
  console.log(
    `  with one watcher that never reads: peak ${stalled.peak.toFixed(1)} MiB, at the end ${stalled.end.toFixed(1)} MiB (${(updates / stalled.seconds).toFixed(0)} updates/s); ` +
      `the server ${stalled.closed ? 'closed that watch' : 'did NOT close that watch'}`,
  );
  console.log(`  difference of peaks: ${(stalled.peak - baseline.peak).toFixed(1)} MiB (bound: 50 MiB)`);
}

/** A watch that counts its events; resolves `first` with the time of the first one. */
function countingWatch(cluster: BenchCluster, path: string, agent: https.Agent, expected: number) {
  let events = 0;
  let expired = 0;
  let buffered = '';
  let firstAt = 0;
  let allAt = 0;
  let headersAt = 0;
  const req = https.request({ host: '127.0.0.1', port: cluster.port, path, agent }, (res) => {
    headersAt = performance.now();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        if (line.startsWith('{"type":"ERROR"')) expired++;
        else events++;
        if (!firstAt) firstAt = performance.now();
        if (events === expected && !allAt) allAt = performance.now();
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return { stats: () => ({ events, expired, firstAt, allAt, headersAt }), stop: () => req.destroy() };
}

async function resumeAfterKill9(): Promise<void> {
  const watches = 100;
  const objects = 100;
  const updatesEach = 10;
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-resume-'));
  try {
    let cluster = await startBenchCluster(dataDir, true, serverArgs);
    const base = '/api/v1/namespaces/default/configmaps';
    const small = (name: string, i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
    const first = await cluster.request('POST', base, small('resume-anchor', 0));
    const acknowledged = JSON.parse(first.body).metadata.resourceVersion as string;
    for (let i = 0; i < objects; i++) await cluster.request('POST', base, small(`resume-${i}`, 0));
    for (let round = 1; round < updatesEach; round++) {
      await Promise.all(Array.from({ length: objects }, (_, i) => cluster.request('PUT', `${base}/resume-${i}`, small(`resume-${i}`, round))));
    }
    const expected = objects * updatesEach;

    const exited = new Promise((resolve) => cluster.child.once('exit', resolve));
    cluster.child.kill('SIGKILL');
    await exited;
    cluster = await startBenchCluster(dataDir, true, serverArgs);
    try {
      const agent = new https.Agent({ keepAlive: true, maxSockets: Infinity, ...credentials(cluster) });
      const open = async (resourceVersion: string, events: number) => {
        const started = performance.now();
        const streams = Array.from({ length: watches }, () => countingWatch(cluster, `${base}?watch=1&resourceVersion=${resourceVersion}`, agent, events));
        const deadline = Date.now() + 60_000;
        const done = () => streams.every((s) => (events === 0 ? s.stats().headersAt > 0 : s.stats().allAt > 0) || s.stats().expired > 0);
        while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        const stats = streams.map((s) => s.stats());
        for (const s of streams) s.stop();
        const slowest = (at: (s: (typeof stats)[number]) => number) => Math.max(...stats.map((s) => (at(s) || Infinity) - started));
        return { established: slowest((s) => s.headersAt), first: slowest((s) => s.firstAt), all: slowest((s) => s.allAt), expired: stats.filter((s) => s.expired > 0).length };
      };
      const resumed = await open(acknowledged, expected);
      const current = JSON.parse((await cluster.request('GET', `${base}?limit=1`)).body).metadata.resourceVersion as string;
      const fresh = await open(current, 0);
      agent.destroy();
      console.log(`${watches} watches from a resourceVersion acknowledged before kill -9, after the restart (${expected} events after it each; restart to ready ${ms(cluster.startupMs)}):`);
      console.log(`  all established within ${ms(resumed.established)}, all got their first event within ${ms(resumed.first)}, every event within ${ms(resumed.all)}; ${resumed.expired} got 410 Expired`);
      console.log(`  for comparison, ${watches} watches from the current resourceVersion (nothing to replay): all established within ${ms(fresh.established)}`);
    } finally {
      await cluster.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log('watches:');
  await nonReadingWatcher();
  await resumeAfterKill9();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
