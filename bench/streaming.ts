/**
 * Exec round trip over the two transports kubectl uses: the time from
 * opening a `pods/exec` connection for `true` to reading its final Status,
 * through the apiserver to the node agent and back — over WebSocket
 * (`v5.channel.k8s.io`, kubectl ≥ 1.30) and over SPDY/3.1
 * (`v4.channel.k8s.io`, older kubectl and client-go tools). Taken at the
 * protocol level (no kubectl start-up in the figure), on the process
 * runtime; as root the pod is isolated, so run it under the network lock
 * (`flock /tmp/skiff-net-e2e.lock npm run bench -- streaming`).
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDeflate } from 'node:zlib';
import { parse } from 'yaml';
import { WebSocket } from 'ws';
import { encodeSynStream, headerDictionary } from '../src/node/portforward/spdy.js';
import { startBenchCluster } from './cluster.js';
import { conditions, ms, percentile } from './stats.js';

const runs = Number(process.env.SKIFF_BENCH_EXEC_RUNS ?? 20);

interface Credentials {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** One exec of `true` over WebSocket: resolves when the server closes after the Status. */
function execOverWebSocket(port: number, credentials: Credentials, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}${path}`, ['v5.channel.k8s.io'], credentials);
    let status = '';
    socket.on('message', (data: Buffer) => {
      if (data[0] === 3) status += data.subarray(1).toString();
    });
    socket.on('close', () => (status.includes('Success') ? resolve() : reject(new Error(`exec over WebSocket: ${status}`))));
    socket.on('error', reject);
  });
}

/** One exec of `true` over SPDY/3.1, as client-go's executor does it: POST, upgrade, three streams, read the error stream to its end. */
function execOverSpdy(port: number, credentials: Credentials, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path,
      ...credentials,
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' },
    });
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`exec over SPDY: HTTP ${res.statusCode}`)));
    req.on('upgrade', (_res, socket) => {
      const deflate = createDeflate({ dictionary: headerDictionary });
      let pending = Buffer.alloc(0);
      let status = '';
      socket.on('data', (bytes: Buffer) => {
        pending = Buffer.concat([pending, bytes]);
        while (pending.length >= 8 && pending.length >= 8 + pending.readUIntBE(5, 3)) {
          const frame = pending.subarray(0, 8 + pending.readUIntBE(5, 3));
          pending = pending.subarray(frame.length);
          if (frame[0] & 0x80 || frame.readUInt32BE(0) !== 1) continue;
          status += frame.subarray(8).toString();
          if (frame[4] & 1) {
            deflate.close();
            socket.destroy();
            if (status.includes('Success')) resolve();
            else reject(new Error(`exec over SPDY: ${status}`));
          }
        }
      });
      socket.on('error', reject);
      void (async () => {
        for (const [id, type] of [[1, 'error'], [3, 'stdout'], [5, 'stderr']] as const) socket.write(await encodeSynStream(deflate, id, { streamtype: type }));
      })();
    });
    req.end();
  });
}

async function measure(exec: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await exec();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await exec();
    samples.push(performance.now() - started);
  }
  return samples;
}

export async function run(): Promise<void> {
  const cluster = await startBenchCluster(undefined, false, ['--runtime', 'process']);
  try {
    const kubeconfig = parse(readFileSync(join(cluster.dataDir, 'kubeconfig.yaml'), 'utf8'));
    const decode = (value: string) => Buffer.from(value, 'base64');
    const credentials = {
      ca: decode(kubeconfig.clusters[0].cluster['certificate-authority-data']),
      cert: decode(kubeconfig.users[0].user['client-certificate-data']),
      key: decode(kubeconfig.users[0].user['client-key-data']),
    };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'box' }, spec: { runtimeClassName: 'host', containers: [{ name: 'box', image: 'busybox', command: ['sleep', '3600'] }] } };
    const created = await cluster.request('POST', '/api/v1/namespaces/default/pods', pod);
    if (created.status !== 201) throw new Error(`creating the pod: ${created.body}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const got = await cluster.request('GET', '/api/v1/namespaces/default/pods/box');
      if ((JSON.parse(got.body) as { status?: { phase?: string } }).status?.phase === 'Running') break;
      if (Date.now() > deadline) throw new Error(`the pod did not run: ${got.body}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const path = '/api/v1/namespaces/default/pods/box/exec?command=true&stdout=true&stderr=true';
    const webSocket = await measure(() => execOverWebSocket(cluster.port, credentials, path));
    const spdy = await measure(() => execOverSpdy(cluster.port, credentials, path));
    console.log(`exec round trip of \`true\` (${runs} runs each, after 3 warm-up; ${conditions()}):`);
    for (const [name, samples] of [['WebSocket v5.channel.k8s.io', webSocket], ['SPDY/3.1 v4.channel.k8s.io', spdy]] as const) {
      console.log(`  ${name.padEnd(28)} p50 ${ms(percentile(samples, 50))}  p90 ${ms(percentile(samples, 90))}  max ${ms(Math.max(...samples))}`);
    }
  } finally {
    await cluster.stop();
  }
}
