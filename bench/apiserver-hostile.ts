/**
 * apiserver under hostile or heavy clients: other clients' GET latency (p50,
 * p99) while two clients send 3 MiB deeply nested bodies (JSON and YAML, each
 * refused with a 400), and while two clients patch a 1 MB ConfigMap. The
 * apiserver runs alone (--no-controllers); GETs come from four sequential
 * clients on their own connections.
 */
import https from 'node:https';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startBenchCluster, type BenchCluster } from './cluster.js';
import { conditions, ms, percentile } from './stats.js';

const base = '/api/v1/namespaces/default/configmaps';
const secondsPerScenario = 5;
const getClients = 4;
/** Just under the apiserver's 3 MiB request body limit. */
const hostileBodyBytes = 3 * 1024 * 1024 - 1024;

type Request = (method: string, path: string, body?: string | Buffer, contentType?: string) => Promise<{ status: number; body: string }>;

/** A client with its own connections, sending raw bodies with any content type. */
function clientFor(port: number, dataDir: string): { request: Request; close(): void } {
  const kubeconfig = parse(readFileSync(join(dataDir, 'kubeconfig.yaml'), 'utf8'));
  const decode = (value: string) => Buffer.from(value, 'base64');
  const agent = new https.Agent({
    keepAlive: true,
    ca: decode(kubeconfig.clusters[0].cluster['certificate-authority-data']),
    cert: decode(kubeconfig.users[0].user['client-certificate-data']),
    key: decode(kubeconfig.users[0].user['client-key-data']),
  });
  const request: Request = (method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const headers = body === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) };
      const req = https.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { request, close: () => agent.destroy() };
}

/**
 * Runs the heavy clients in a child process (so their own work, such as
 * encrypting 3 MiB bodies, does not delay the measuring process) while four
 * clients here GET; returns the GET latencies and the heavy requests' status codes.
 */
async function measure(cluster: BenchCluster, load: LoadKind | undefined): Promise<{ gets: number[]; codes: Map<number, number> }> {
  const loader = load
    ? spawn(process.execPath, [fileURLToPath(import.meta.url), '--load', load, String(cluster.port), cluster.dataDir, String(secondsPerScenario)], { stdio: ['ignore', 'pipe', 'inherit'] })
    : undefined;
  let loaderOutput = '';
  loader?.stdout!.on('data', (chunk: Buffer) => (loaderOutput += chunk.toString()));
  const loaderDone = loader ? new Promise((resolve) => loader.once('exit', resolve)) : Promise.resolve();
  if (loader) await new Promise<void>((resolve) => loader.stdout!.once('data', () => resolve())); // "started"
  const deadline = performance.now() + secondsPerScenario * 1000;
  const gets: number[] = [];
  const readers = Array.from({ length: getClients }, () => clientFor(cluster.port, cluster.dataDir));
  await Promise.all(
    readers.map(async (reader, r) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        const res = await reader.request('GET', `${base}/small-${(i * getClients + r) % 100}`);
        if (res.status !== 200) throw new Error(`get failed: ${res.status} ${res.body}`);
        gets.push(performance.now() - t);
      }
    }),
  );
  for (const reader of readers) reader.close();
  await loaderDone;
  const codes = new Map<number, number>(loaderOutput.includes('{') ? (JSON.parse(loaderOutput.slice(loaderOutput.indexOf('{'))) as { codes: [number, number][] }).codes : []);
  return { gets, codes };
}

function report(label: string, result: { gets: number[]; codes: Map<number, number> }): void {
  const codes = [...result.codes].map(([code, count]) => `${count}× ${code}`).join(', ');
  console.log(`${label}: other clients' GET p50 ${ms(percentile(result.gets, 50))}, p99 ${ms(percentile(result.gets, 99))} (${result.gets.length} GETs)${codes ? `; heavy requests answered ${codes}` : ''}`);
}

type LoadKind = 'nested-bodies' | 'alias-bombs' | 'big-patches';

/** The child process: two heavy clients looping for `seconds`, then the status codes they got, as JSON. */
async function runLoad(kind: LoadKind, port: number, dataDir: string, seconds: number): Promise<void> {
  const clients = [clientFor(port, dataDir), clientFor(port, dataDir)];
  const levels = Math.floor((hostileBodyBytes - 100) / 2);
  // Encoded once: the loop measures the server, not this process turning strings into bytes.
  const deepJson = Buffer.from(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${'['.repeat(levels)}${']'.repeat(levels)}}`);
  const deepYamlFlow = Buffer.from(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\nx: ${'['.repeat(hostileBodyBytes - 100)}\n`);
  let aliasBomb = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\na0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 9; i++) aliasBomb += `a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]\n`;
  let round = 0;
  const send: Record<LoadKind, (c: number) => Promise<{ status: number }>> = {
    'nested-bodies': (c) => (c === 0 ? clients[c].request('POST', base, deepJson) : clients[c].request('POST', base, deepYamlFlow, 'application/yaml')),
    'alias-bombs': (c) => clients[c].request('POST', base, aliasBomb, 'application/yaml'),
    'big-patches': (c) =>
      clients[c].request('PATCH', `${base}/big`, JSON.stringify({ data: { [`key-${c}`]: String(round++).padStart(1024, 'y') } }), 'application/merge-patch+json'),
  };
  const codes = new Map<number, number>();
  process.stdout.write('started\n');
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (_, c) => {
      while (performance.now() < deadline) {
        const { status } = await send[kind](c);
        codes.set(status, (codes.get(status) ?? 0) + 1);
      }
    }),
  );
  for (const client of clients) client.close();
  process.stdout.write(JSON.stringify({ codes: [...codes] }));
}

export async function run(): Promise<void> {
  console.log(`\n## apiserver under hostile and heavy clients (${conditions()}; ${secondsPerScenario} s per line, ${getClients} GET clients, heavy clients in a separate process; load average at start ${os.loadavg()[0].toFixed(1)})`);
  const cluster = await startBenchCluster(undefined, false, ['--no-controllers']);
  const setup = clientFor(cluster.port, cluster.dataDir);
  try {
    for (let i = 0; i < 100; i++) {
      const res = await setup.request('POST', base, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `small-${i}` }, data: { key: 'value' } }));
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`);
    }
    const bigData: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) bigData[`key-${i}`] = 'x'.repeat(1024);
    const big = await setup.request('POST', base, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: bigData }));
    if (big.status !== 201) throw new Error(`create failed: ${big.status} ${big.body}`);

    report('no other load', await measure(cluster, undefined));
    report('two clients sending 3 MiB nested bodies (JSON and YAML)', await measure(cluster, 'nested-bodies'));
    report('two clients sending YAML alias bombs', await measure(cluster, 'alias-bombs'));
    report('two clients patching a 1 MB ConfigMap (merge patch)', await measure(cluster, 'big-patches'));
  } finally {
    setup.close();
    await cluster.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [flag, kind, port, dataDir, seconds] = process.argv.slice(2);
  if (flag === '--load') await runLoad(kind as LoadKind, Number(port), dataDir, Number(seconds));
  else await run();
}
