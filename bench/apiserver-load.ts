/**
 * apiserver under load, against a real `skiff up` (no controllers, no
 * scheduler, no node):
 *
 * - 200 concurrent mutating clients (an ordinary user, so the in-flight
 *   limit applies; system:masters never gets a 429): creates/s, p50 and p99
 *   of answered creates, how many 429s (each honoured by waiting its
 *   Retry-After, as client-go does) and any other error — with the default
 *   limits and with a small mutating limit;
 * - an idle-connection flood: 20,000 TCP connections that never send a byte,
 *   held by two helper processes that reopen each one a second after the
 *   server closes it, while new clients (fresh HTTPS connections and the
 *   real kubectl) must still be served.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueClientCertificate, type ClusterPki } from '../src/apiserver/pki/index.js';
import { readDescriptorLimit } from '../src/apiserver/descriptor-limit.js';
import { startBenchCluster, type BenchCluster } from './cluster.js';
import { conditions, median, ms, percentile } from './stats.js';
import { kubectlPath } from '../test/e2e/tools.js';

const holderRole = 'skiff-bench-idle-holder';

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function ordinaryUser(cluster: BenchCluster): Promise<{ certPem: string; keyPem: string; caPem: string }> {
  const pki = join(cluster.dataDir, 'pki');
  const caCertPem = readFileSync(join(pki, 'ca.crt'), 'utf8');
  const caKeyPem = readFileSync(join(pki, 'ca.key'), 'utf8');
  const cert = await issueClientCertificate({ caCertPem, caKeyPem } as ClusterPki, { commonName: 'bench-client', organizations: ['bench'] });
  return { ...cert, caPem: caCertPem };
}

function post(agent: https.Agent, port: number, path: string, body: unknown): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = https.request(
      { host: '127.0.0.1', port, method: 'POST', path, agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function concurrentCreates(label: string, extraArgs: string[]): Promise<void> {
  const clients = 200;
  const perClient = 25;
  const cluster = await startBenchCluster(undefined, false, ['--no-controllers', '--no-scheduler', ...extraArgs]);
  try {
    const user = await ordinaryUser(cluster);
    const path = '/api/v1/namespaces/default/configmaps';
    const latencies: number[] = [];
    let tooMany = 0;
    let otherErrors = 0;
    let firstError = '';
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        // Each client has its own keep-alive connection, as 200 separate kubectl-like programs would.
        const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: user.caPem, cert: user.certPem, key: user.keyPem });
        try {
          for (let i = 0; i < perClient; ) {
            const t = performance.now();
            const answer = await post(agent, cluster.port, path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `load-${c}-${i}` }, data: { key: 'value'.repeat(20) } }).catch(
              (err: Error) => ({ status: 0, body: err.message, retryAfter: undefined }),
            );
            if (answer.status === 201) {
              latencies.push(performance.now() - t);
              i++;
            } else if (answer.status === 429) {
              tooMany++;
              await new Promise((resolve) => setTimeout(resolve, Number(answer.retryAfter ?? 1) * 1000));
            } else {
              otherErrors++;
              firstError ||= `${answer.status} ${answer.body.slice(0, 200)}`;
              i++;
            }
          }
        } finally {
          agent.destroy();
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `${clients} concurrent mutating clients, ${label} (${clients * perClient} creates): ${(latencies.length / seconds).toFixed(0)} creates/s, ` +
        `p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, 429s: ${tooMany}, other errors: ${otherErrors}${firstError ? ` (first: ${firstError})` : ''}`,
    );
  } finally {
    await cluster.stop();
  }
}

interface HolderReport {
  attempted: number;
  open: number;
  closedByServer: number;
  failed: number;
}

/** A helper process that opens `count` idle TCP connections and reopens each a second after the server closes it. */
async function holdIdleConnections(port: number, count: number, addressBlock: number): Promise<void> {
  const report: HolderReport = { attempted: 0, open: 0, closedByServer: 0, failed: 0 };
  let stopping = false;
  // Many source addresses (all of 127/8 is loopback), so 10,000 connections do not run out of ephemeral ports.
  const localAddress = (i: number) => `127.${addressBlock}.${Math.floor(i / 2000)}.1`;
  const open = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: localAddress(i) });
      let connected = false;
      socket.on('connect', () => {
        connected = true;
        report.open++;
        resolve();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (connected) {
          report.open--;
          report.closedByServer++;
        } else {
          report.failed++;
          resolve();
        }
        if (!stopping) setTimeout(() => void open(i), 1000);
      });
    });
  const send = () => process.send?.(report);
  const timer = setInterval(send, 250);
  process.on('disconnect', () => {
    stopping = true;
    clearInterval(timer);
    process.exit(0);
  });
  for (let i = 0; i < count; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, k) => open(i + k)));
    report.attempted = Math.min(count, i + 500);
  }
  send();
}

function freshRequest(cluster: BenchCluster, user: { certPem: string; keyPem: string; caPem: string }): Promise<{ ok: boolean; ms: number; error?: string }> {
  const t = performance.now();
  return new Promise((resolve) => {
    const req = https.get(
      { host: '127.0.0.1', port: cluster.port, path: '/api/v1/namespaces/default/configmaps?limit=10', agent: false, ca: user.caPem, cert: user.certPem, key: user.keyPem },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ ok: res.statusCode === 200, ms: performance.now() - t, error: res.statusCode === 200 ? undefined : String(res.statusCode) }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.on('error', (err) => resolve({ ok: false, ms: performance.now() - t, error: err.message }));
  });
}

async function idleConnectionFlood(total: number): Promise<void> {
  const limit = readDescriptorLimit();
  const cluster = await startBenchCluster(undefined, false, ['--no-controllers', '--no-scheduler', '-v', '1']);
  const holders: ChildProcess[] = [];
  try {
    const capLine = cluster.output().split('\n').find((line) => line.includes('"connection cap"'));
    const cap = capLine ? (JSON.parse(capLine) as { maxConnections: number }).maxConnections : NaN;
    const user = await ordinaryUser(cluster);
    const reports: HolderReport[] = [];
    const perHolder = Math.ceil(total / 2);
    for (let h = 0; h < 2; h++) {
      const holder = fork(fileURLToPath(import.meta.url), [String(cluster.port), String(perHolder), String(h + 1)], { env: { ...process.env, SKIFF_BENCH_ROLE: holderRole }, stdio: 'inherit' });
      holder.on('message', (report: HolderReport) => (reports[h] = report));
      holders.push(holder);
    }
    const sum = (key: keyof HolderReport) => reports.reduce((n, r) => n + (r?.[key] ?? 0), 0);
    const t0 = performance.now();
    while (sum('attempted') < perHolder * 2) {
      if (performance.now() - t0 > 120_000) throw new Error(`the holders opened only ${sum('attempted')} connections in two minutes`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const openedIn = performance.now() - t0;
    // Let eviction and reconnection settle into their steady state.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const closedBefore = sum('closedByServer');
    const measureStart = performance.now();

    const fresh: { ok: boolean; ms: number; error?: string }[] = [];
    for (let i = 0; i < 20; i++) fresh.push(await freshRequest(cluster, user));
    const kubectl: { ok: boolean; ms: number; error?: string }[] = [];
    const kubeconfig = join(cluster.dataDir, 'kubeconfig.yaml');
    let kubectlBinary: string | undefined;
    try {
      kubectlBinary = kubectlPath();
    } catch {
      kubectlBinary = undefined;
    }
    for (let i = 0; kubectlBinary && i < 5; i++) {
      const t = performance.now();
      const result = spawnSync(kubectlBinary, ['--kubeconfig', kubeconfig, 'get', 'configmaps', '-n', 'default', '--request-timeout', '30s'], { encoding: 'utf8', timeout: 60_000 });
      kubectl.push({ ok: result.status === 0, ms: performance.now() - t, error: result.status === 0 ? undefined : result.stderr.trim().slice(0, 200) });
    }
    const seconds = (performance.now() - measureStart) / 1000;
    const churn = (sum('closedByServer') - closedBefore) / seconds;
    const served = fresh.filter((r) => r.ok);
    console.log(
      `idle-connection flood: ${total} idle TCP connections from 2 processes (opened in ${ms(openedIn)}, each reopened 1 s after the server closes it); ` +
        `server descriptor limit ${limit?.soft ?? '?'}, connection cap ${cap}; holders had ${sum('open')} open at the end, the server closed ~${churn.toFixed(0)}/s to make room; server RSS ${rssMiB(cluster.child.pid!).toFixed(0)} MiB`,
    );
    console.log(
      `  new clients during the flood: fresh HTTPS connections ${served.length}/${fresh.length} served (p50 ${ms(median(served.map((r) => r.ms)))}, p99 ${ms(percentile(served.map((r) => r.ms), 99))})` +
        (kubectlBinary ? `; kubectl get configmaps ${kubectl.filter((r) => r.ok).length}/${kubectl.length} served (median ${ms(median(kubectl.map((r) => r.ms)))} per run)` : '; kubectl not available') +
        [...fresh, ...kubectl].filter((r) => !r.ok).map((r) => ` [failed: ${r.error}]`).slice(0, 3).join(''),
    );
  } finally {
    for (const holder of holders) holder.kill();
    await cluster.stop();
  }
}

export async function run(): Promise<void> {
  console.log(`\n## apiserver under load (${conditions()})`);
  await concurrentCreates('default limits (200 mutating in flight)', []);
  await concurrentCreates('--max-mutating-requests-inflight 50', ['--max-mutating-requests-inflight', '50']);
  await idleConnectionFlood(20_000);
}

if (process.env.SKIFF_BENCH_ROLE === holderRole) {
  await holdIdleConnections(Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
