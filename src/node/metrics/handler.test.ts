/** The metrics handler on a loopback HTTP server: its three paths, other paths left to the server, gzip, errors. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { nodeMetricsHandler, type NodeMetricsSources } from './handler.js';
import type { StatsSnapshot } from './stats.js';

const snapshot: StatsSnapshot = {
  timestampMs: 1000,
  node: { timestampMs: 1000, cpuNanos: 2e9, memoryWorkingSetBytes: 4096 },
  pods: [{ name: 'p', namespace: 'n', uid: 'u', timestampMs: 1000, cpuNanos: 1e9, memoryWorkingSetBytes: 10, containers: [{ name: 'c', id: 'c1', image: 'i', startTimeMs: 500, timestampMs: 1000, cpuNanos: 1e9, memoryWorkingSetBytes: 10 }] }],
};

function get(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('nodeMetricsHandler', () => {
  let server: http.Server;
  let port: number;
  let failStats = false;
  let failKubelet = false;
  const logged: Record<string, unknown>[] = [];
  const sources: NodeMetricsSources = {
    kubelet: { text: async () => (failKubelet ? Promise.reject(new Error('boom')) : '# TYPE kubelet_node_name gauge\nkubelet_node_name{node="n"} 1\n') },
    stats: { snapshot: async () => (failStats ? Promise.reject(new Error('no proc')) : snapshot) },
    log: (event) => logged.push(event),
  };

  before(async () => {
    const handle = nodeMetricsHandler(sources);
    server = http.createServer((req, res) => {
      if (handle(req, res)) return;
      res.writeHead(404);
      res.end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves /metrics, /metrics/resource and /metrics/cadvisor as text/plain; version=0.0.4', async () => {
    const kubelet = await get(port, '/metrics');
    assert.equal(kubelet.status, 200);
    assert.equal(kubelet.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(kubelet.body.toString(), /kubelet_node_name\{node="n"\} 1/);
    const resource = await get(port, '/metrics/resource?ignored=1');
    assert.match(resource.body.toString(), /^node_cpu_usage_seconds_total 2 1000$/m);
    assert.match(resource.body.toString(), /^container_cpu_usage_seconds_total\{container="c",namespace="n",pod="p"\} 1 1000$/m);
    const cadvisor = await get(port, '/metrics/cadvisor');
    assert.match(cadvisor.body.toString(), /^container_memory_working_set_bytes\{container="c",id="\/skiff\/u\/c1",image="i",name="c1",namespace="n",pod="p"\} 10 1000$/m);
  });

  it('leaves other paths to the server', async () => {
    assert.equal((await get(port, '/healthz')).status, 404);
    assert.equal((await get(port, '/metrics/other')).status, 404);
    assert.equal((await get(port, '/metricsx')).status, 404);
    assert.equal(nodeMetricsHandler(sources)({ url: 'http://[', method: 'GET', headers: {} } as never, {} as never), false);
  });

  it('answers HEAD without a body, refuses other methods, and gzips for who asks', async () => {
    const head = await get(port, '/metrics/resource', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const post = await get(port, '/metrics', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const zipped = await get(port, '/metrics/resource', { headers: { 'accept-encoding': 'gzip, deflate' } });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.match(gunzipSync(zipped.body).toString(), /resource_scrape_error 0/);
  });

  it('says a failed read of the node in the scrape error, and a failed exposition with a 500', async () => {
    failStats = true;
    try {
      const resource = await get(port, '/metrics/resource');
      assert.equal(resource.status, 200);
      assert.match(resource.body.toString(), /^resource_scrape_error 1$/m);
      assert.match((await get(port, '/metrics/cadvisor')).body.toString(), /^container_scrape_error 1$/m);
    } finally {
      failStats = false;
    }
    failKubelet = true;
    try {
      const kubelet = await get(port, '/metrics');
      assert.equal(kubelet.status, 500);
      assert.match(kubelet.body.toString(), /boom/);
    } finally {
      failKubelet = false;
    }
    assert.ok(logged.some((e) => e.msg === 'reading node stats failed'));
    assert.ok(logged.some((e) => e.msg === 'metrics exposition failed'));
  });
});
