/**
 * A Prometheus-compatible scraper discovers a skiff cluster through
 * kubernetes_sd_configs, with examples/prometheus/prometheus.yml and the
 * RBAC of examples/prometheus/rbac.yaml, authenticating with a service
 * account token: the apiserver, the node agent and an annotated pod are
 * scraped and `up` is 1 for each.
 *
 * Debian's Prometheus 2.42 is built without Kubernetes discovery, so the
 * scraper is Debian's VictoriaMetrics, whose scraper reads Prometheus's
 * configuration format (kubernetes_sd_configs included) unchanged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, hostDeployment, startHostProcessCluster, waitFor, type Cluster } from './harness.js';
import { repositoryRoot } from './tools.js';

const victoriaMetrics = ['/usr/bin/victoria-metrics', '/usr/local/bin/victoria-metrics'].find((path) => spawnSync(path, ['-version']).status === 0);

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError?: string;
}

describe('Prometheus service discovery', { skip: victoriaMetrics ? false : 'needs victoria-metrics (Debian)' }, () => {
  let cluster: Cluster;
  let scraper: ChildProcess | undefined;
  let scraperOutput = '';
  let work: string;
  before(async () => {
    cluster = await startHostProcessCluster();
    work = mkdtempSync(join(tmpdir(), 'skiff-prometheus-'));
  });
  after(async () => {
    scraper?.kill('SIGKILL');
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('discovers and scrapes the apiserver, the node and an annotated pod', async () => {
    await cluster.kubectl(['apply', '-f', join(repositoryRoot(), 'examples', 'prometheus', 'rbac.yaml')]);
    const token = (await cluster.kubectl(['-n', 'monitoring', 'create', 'token', 'prometheus', '--duration=1h'])).stdout.trim();
    const ca = Buffer.from((await cluster.kubectl(['config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}'])).stdout, 'base64').toString('utf8');
    writeFileSync(join(work, 'token'), token);
    writeFileSync(join(work, 'ca.crt'), ca);
    // The example as a user copies it: only the apiserver's address and the interval differ.
    const config = readFileSync(join(repositoryRoot(), 'examples', 'prometheus', 'prometheus.yml'), 'utf8')
      .replaceAll('https://127.0.0.1:6443', `https://127.0.0.1:${cluster.port}`)
      .replace('scrape_interval: 15s', 'scrape_interval: 1s');
    writeFileSync(join(work, 'prometheus.yml'), config);

    // A pod that asks to be scraped, serving metrics of its own on the host network.
    const podPort = await freePort();
    const server = `require('http').createServer((q, s) => s.end(q.url === '/stats' ? '# TYPE demo_requests_total counter\\ndemo_requests_total 7\\n' : 'no')).listen(${podPort})`;
    const deployment = JSON.parse(hostDeployment('exporter', [process.execPath, '-e', server], { image: 'node' }));
    deployment.spec.template.metadata.annotations = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(podPort), 'prometheus.io/path': '/stats' };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    await cluster.kubectl(['rollout', 'status', 'deployment/exporter', '--timeout=30s']);

    const httpPort = await freePort();
    scraper = spawn(victoriaMetrics!, [
      `-promscrape.config=${join(work, 'prometheus.yml')}`,
      '-promscrape.config.strictParse=true',
      `-httpListenAddr=127.0.0.1:${httpPort}`,
      `-storageDataPath=${join(work, 'data')}`,
      // Points are queryable at once, not after the default 30 s.
      '-search.latencyOffset=0s',
      '-loggerLevel=ERROR',
    ]);
    scraper.stdout?.on('data', (chunk) => (scraperOutput = (scraperOutput + String(chunk)).slice(-20_000)));
    scraper.stderr?.on('data', (chunk) => (scraperOutput = (scraperOutput + String(chunk)).slice(-20_000)));
    const api = `http://127.0.0.1:${httpPort}/api/v1`;

    const wanted = ['apiserver', 'node', 'node-cadvisor', 'pods'];
    let last: Target[] = [];
    await waitFor(
      async () => {
        last = ((await (await fetch(`${api}/targets`)).json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
        if (wanted.every((job) => last.some((target) => target.labels.job === job && target.health === 'up'))) return true;
        // Thrown, so the timeout says what the scraper saw.
        throw new Error(`${JSON.stringify(last.map((t) => [t.labels.job, t.health, t.lastError]))}\n${scraperOutput}`);
      },
      { message: 'every job up', timeoutMs: 40_000 },
    );
    const pod = last.find((target) => target.labels.job === 'pods')!;
    assert.equal(pod.labels.namespace, 'default');
    assert.match(pod.labels.pod, /^exporter-/);

    // And as PromQL sees it: up is 1 for the apiserver and the node; the pod's own series arrived.
    const query = async (expression: string) => ((await (await fetch(`${api}/query?query=${encodeURIComponent(expression)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
    await waitFor(async () => (await query('up{job="apiserver"}')).some((r) => r.value[1] === '1') && (await query('up{job="node"}')).some((r) => r.value[1] === '1'), { message: 'up is 1' });
    await waitFor(async () => (await query('demo_requests_total')).some((r) => r.value[1] === '7' && r.metric.job === 'pods'), { message: "the pod's series" });
    await waitFor(async () => (await query('apiserver_request_total{resource="pods"}')).length > 0, { message: "the apiserver's series" });
  });
});
