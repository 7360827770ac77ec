/**
 * apiserver under hostile or heavy clients: other clients' GET latency (p50,
 * p99) while two clients send 3 MiB deeply nested bodies (JSON and YAML, each
 * refused with a 400), and while two clients patch a 1 MB ConfigMap. The
 * apiserver runs alone (--no-controllers); GETs come from four sequential
 * clients on their own connections.
 */
import https from 'node:https';
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

type Request = (method: string, path: string, body?: string, contentType?: string) => Promise<{ status: number; body: string }>;

/** A client with its own connections, sending raw bodies with any content type. */
function clientFor(cluster: BenchCluster): { request: Request; close(): void } {
  const kubeconfig = parse(readFileSync(join(cluster.dataDir, 'kubeconfig.yaml'), 'utf8'));
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
      const req = https.request({ host: '127.0.0.1', port: cluster.port, method, path, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { request, close: () => agent.destroy() };
}

/** Runs `load` in a loop on each of its clients while four clients GET; returns the GET latencies and the load's status codes. */
async function measure(cluster: BenchCluster, loads: (() => Promise<{ status: number }>)[]): Promise<{ gets: number[]; codes: Map<number, number> }> {
  const deadline = performance.now() + secondsPerScenario * 1000;
  const gets: number[] = [];
  const codes = new Map<number, number>();
  const readers = Array.from({ length: getClients }, () => clientFor(cluster));
  await Promise.all([
    ...readers.map(async (reader, r) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        const res = await reader.request('GET', `${base}/small-${(i * getClients + r) % 100}`);
        if (res.status !== 200) throw new Error(`get failed: ${res.status} ${res.body}`);
        gets.push(performance.now() - t);
      }
    }),
    ...loads.map(async (load) => {
      while (performance.now() < deadline) {
        const { status } = await load();
        codes.set(status, (codes.get(status) ?? 0) + 1);
      }
    }),
  ]);
  for (const reader of readers) reader.close();
  return { gets, codes };
}

function report(label: string, result: { gets: number[]; codes: Map<number, number> }): void {
  const codes = [...result.codes].map(([code, count]) => `${count}× ${code}`).join(', ');
  console.log(`${label}: other clients' GET p50 ${ms(percentile(result.gets, 50))}, p99 ${ms(percentile(result.gets, 99))} (${result.gets.length} GETs)${codes ? `; heavy requests answered ${codes}` : ''}`);
}

export async function run(): Promise<void> {
  console.log(`\n## apiserver under hostile and heavy clients (${conditions()}; ${secondsPerScenario} s per line, ${getClients} GET clients)`);
  const cluster = await startBenchCluster(undefined, false, ['--no-controllers']);
  const setup = clientFor(cluster);
  try {
    for (let i = 0; i < 100; i++) {
      const res = await setup.request('POST', base, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `small-${i}` }, data: { key: 'value' } }));
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`);
    }
    const bigData: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) bigData[`key-${i}`] = 'x'.repeat(1024);
    const big = await setup.request('POST', base, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: bigData }));
    if (big.status !== 201) throw new Error(`create failed: ${big.status} ${big.body}`);

    report('no other load', await measure(cluster, []));

    const levels = Math.floor((hostileBodyBytes - 100) / 2);
    const deepJson = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    const deepYamlFlow = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\nx: ${'['.repeat(hostileBodyBytes - 100)}\n`;
    const hostile = [clientFor(cluster), clientFor(cluster)];
    report(
      'two clients sending 3 MiB nested JSON and YAML bodies',
      await measure(cluster, [
        () => hostile[0].request('POST', base, deepJson),
        () => hostile[1].request('POST', base, deepYamlFlow, 'application/yaml'),
      ]),
    );
    let aliasBomb = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\na0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 9; i++) aliasBomb += `a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]\n`;
    report(
      'two clients sending YAML alias bombs',
      await measure(cluster, hostile.map((client) => () => client.request('POST', base, aliasBomb, 'application/yaml'))),
    );
    let round = 0;
    report(
      'two clients patching a 1 MB ConfigMap',
      await measure(
        cluster,
        hostile.map((client, c) => () =>
          client.request('PATCH', `${base}/big`, JSON.stringify({ data: { [`key-${c}`]: String(round++).padStart(1024, 'y') } }), 'application/merge-patch+json')),
      ),
    );
    for (const client of hostile) client.close();
  } finally {
    setup.close();
    await cluster.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
