/**
 * Service networking benchmarks (as root, with nftables):
 * - HTTP requests/s and p99 latency through a ClusterIP against straight to
 *   the pod IP, from the host, with keep-alive connections (the ratio is
 *   what the proxy costs) — and with a new connection per request, where
 *   the DNAT happens each time;
 * - cluster DNS queries/s (UDP, 32 in flight) for a service name.
 */
import { createSocket } from 'node:dgram';
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import * as dnsPacket from 'dns-packet';
import { startBenchCluster, type BenchCluster } from './cluster.js';
import { conditions, percentile } from './stats.js';

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

/** Requests for a few seconds from `concurrency` clients; requests/s and p99. */
async function load(url: string, keepAlive: boolean, seconds = 5, concurrency = 16): Promise<{ rps: number; p99: number }> {
  const agent = new http.Agent({ keepAlive, maxSockets: concurrency });
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        await new Promise<void>((resolve, reject) => {
          http
            .get(url, { agent }, (res) => {
              res.resume();
              res.on('end', () => resolve());
            })
            .on('error', reject);
        });
        latencies.push(performance.now() - started);
      }
    }),
  );
  agent.destroy();
  return { rps: latencies.length / seconds, p99: percentile(latencies, 99) };
}

async function dnsQps(server: string, name: string, seconds = 5, inFlight = 32): Promise<number> {
  const socket = createSocket('udp4');
  let answered = 0;
  let id = 0;
  const end = performance.now() + seconds * 1000;
  const send = () => socket.send(dnsPacket.encode({ type: 'query', id: id++ & 0xffff, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), 53, server);
  await new Promise<void>((resolve) => {
    socket.on('message', () => {
      answered++;
      if (performance.now() < end) send();
      else if (answered >= id) resolve();
    });
    for (let i = 0; i < inFlight; i++) send();
    setTimeout(resolve, seconds * 1000 + 2000);
  });
  socket.close();
  return answered / seconds;
}

export async function run(): Promise<void> {
  console.log(`\n## network (${conditions()})`);
  if (process.getuid?.() !== 0) {
    console.log('skipped: the service proxy and the cluster DNS need root');
    return;
  }
  const cluster: BenchCluster = await startBenchCluster(undefined, false, ['--runtime', 'process', '--pod-cidr', '10.42.251.0/24']);
  try {
    const server = "require('http').createServer((q, s) => s.end('ok')).listen(8080)";
    const create = (path: string, body: unknown) => cluster.request('POST', path, body).then((r) => (r.status === 201 ? r : Promise.reject(new Error(r.body))));
    await create('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'echo' },
      spec: { selector: { matchLabels: { app: 'echo' } }, template: { metadata: { labels: { app: 'echo' } }, spec: { runtimeClassName: 'host', containers: [{ name: 'c', image: 'node', command: [process.execPath, '-e', server], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] } } },
    });
    await create('/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo' }, spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 8080 }] } });
    let podIP = '';
    await until(async () => {
      const pods = JSON.parse((await cluster.request('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Decho')).body).items as { status?: { podIP?: string; conditions?: { type: string; status: string }[] } }[];
      podIP = pods[0]?.status?.podIP ?? '';
      return !!pods[0]?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 'the echo pod Ready');
    const clusterIP = JSON.parse((await cluster.request('GET', '/api/v1/namespaces/default/services/echo')).body).spec.clusterIP as string;
    await until(async () => (await fetch(`http://${clusterIP}/`).catch(() => undefined))?.status === 200, 'the ClusterIP to answer');
    for (const keepAlive of [true, false]) {
      const direct = await load(`http://${podIP}:8080/`, keepAlive);
      const proxied = await load(`http://${clusterIP}/`, keepAlive);
      console.log(
        `HTTP from the host, 16 clients, ${keepAlive ? 'keep-alive' : 'a connection per request'}: pod IP ${direct.rps.toFixed(0)} req/s (p99 ${direct.p99.toFixed(2)} ms); ` +
          `ClusterIP ${proxied.rps.toFixed(0)} req/s (p99 ${proxied.p99.toFixed(2)} ms); ratio ${(proxied.rps / direct.rps).toFixed(2)}`,
      );
    }
    const qps = await dnsQps('10.42.251.1', 'echo.default.svc.cluster.local');
    console.log(`cluster DNS: ${qps.toFixed(0)} queries/s (UDP, 32 in flight, a service name)`);
  } finally {
    await cluster.stop();
  }
}
