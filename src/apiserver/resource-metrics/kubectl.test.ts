/**
 * `kubectl top` and `kubectl get` (the real kubectl 1.32, SKIFF_KUBECTL or
 * `kubectl` on the PATH; skipped without one) against metrics.k8s.io served
 * from fake node agents.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMetricsCluster, type MetricsCluster } from './fixtures.js';

const kubectlBinary = process.env.SKIFF_KUBECTL || 'kubectl';
const available = spawnSync(kubectlBinary, ['version', '--client'], { encoding: 'utf8' }).status === 0;
const MiB = 1024 * 1024;

describe('kubectl top', { skip: available ? false : `no kubectl (${kubectlBinary})` }, () => {
  let cluster: MetricsCluster;
  let home: string;

  before(async () => {
    cluster = await startMetricsCluster();
    home = mkdtempSync(join(tmpdir(), 'skiff-kubectl-top-'));
    const { server, caPem, certPem, keyPem } = cluster.api.credentials;
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    writeFileSync(
      join(home, 'config'),
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "${server}", certificate-authority-data: ${b64(caPem)}}}]`,
        `users: [{name: u, user: {client-certificate-data: ${b64(certPem)}, client-key-data: ${b64(keyPem)}}}]`,
        'contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]',
        'current-context: x',
        '',
      ].join('\n'),
    );
    await cluster.addNode('n1', { zone: 'a' });
    await cluster.addNode('n2', { zone: 'b' });
    cluster.agents.set('n1', { nodeCores: 0.5, nodeMemoryBytes: 2048 * MiB, containers: { 'default/web/app': [0.25, 64 * MiB], 'default/web/log': [0.002, 8 * MiB], 'apps/db/db': [1, 512 * MiB] } });
    cluster.agents.set('n2', { nodeCores: 2, nodeMemoryBytes: 1024 * MiB, containers: { 'default/api/api': [0.1, 32 * MiB] } });
    await cluster.addPod('default', 'web', 'n1', ['app', 'log'], { app: 'web' });
    await cluster.addPod('apps', 'db', 'n1', ['db'], { app: 'db' });
    await cluster.addPod('default', 'api', 'n2', ['api'], { app: 'api' });
  });
  after(async () => {
    await cluster?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const kubectl = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(kubectlBinary, ['--kubeconfig', join(home, 'config'), '--cache-dir', join(home, 'cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  /** The table's rows as arrays of cells (whitespace-separated). */
  const rows = (stdout: string) => stdout.trim().split('\n').map((line) => line.trim().split(/\s+/));

  it('top node: usage and percentages of allocatable; -l and --sort-by', async () => {
    const all = await kubectl(['top', 'node']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(rows(all.stdout), [
      ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'],
      ['n1', '500m', '12%', '2048Mi', '25%'],
      ['n2', '2000m', '50%', '1024Mi', '12%'],
    ]);
    assert.deepEqual(rows((await kubectl(['top', 'node', '-l', 'zone=b', '--no-headers'])).stdout), [['n2', '2000m', '50%', '1024Mi', '12%']]);
    assert.deepEqual(rows((await kubectl(['top', 'node', '--sort-by=memory', '--no-headers'])).stdout).map((r) => r[0]), ['n1', 'n2']);
    assert.deepEqual(rows((await kubectl(['top', 'node', '--sort-by=cpu', '--no-headers'])).stdout).map((r) => r[0]), ['n2', 'n1']);
    assert.deepEqual(rows((await kubectl(['top', 'node', 'n1', '--no-headers'])).stdout), [['n1', '500m', '12%', '2048Mi', '25%']]);
  });

  it('top pod: a namespace, -A, --containers, -l, --field-selector, --sort-by', async () => {
    assert.deepEqual(rows((await kubectl(['top', 'pod'])).stdout), [
      ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['api', '100m', '32Mi'],
      ['web', '252m', '72Mi'],
    ]);
    assert.deepEqual(rows((await kubectl(['top', 'pod', '-A', '--no-headers'])).stdout), [
      ['apps', 'db', '1000m', '512Mi'],
      ['default', 'api', '100m', '32Mi'],
      ['default', 'web', '252m', '72Mi'],
    ]);
    assert.deepEqual(rows((await kubectl(['top', 'pod', 'web', '--containers'])).stdout), [
      ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['web', 'app', '250m', '64Mi'],
      ['web', 'log', '2m', '8Mi'],
    ]);
    assert.deepEqual(rows((await kubectl(['top', 'pod', '-l', 'app=web', '--no-headers'])).stdout), [['web', '252m', '72Mi']]);
    assert.deepEqual(rows((await kubectl(['top', 'pod', '-A', '--field-selector', 'metadata.namespace=apps', '--no-headers'])).stdout), [['apps', 'db', '1000m', '512Mi']]);
    assert.deepEqual(rows((await kubectl(['top', 'pod', '-A', '--sort-by=cpu', '--no-headers'])).stdout).map((r) => r[1]), ['db', 'web', 'api']);
  });

  it('errors read as against metrics-server', async () => {
    const missing = await kubectl(['top', 'pod', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pods "nope" not found/);
    const badField = await kubectl(['top', 'pod', '--field-selector', 'spec.nodeName=n1']);
    assert.match(badField.stderr, /"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"/);
  });

  it('get nodes.metrics.k8s.io / podmetrics prints metrics-server\'s table', async () => {
    const nodes = await kubectl(['get', 'nodes.metrics.k8s.io']);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.deepEqual(rows(nodes.stdout), [
      ['NAME', 'CPU', 'MEMORY', 'WINDOW'],
      ['n1', '500m', '2Gi', '10s'],
      ['n2', '2', '1Gi', '10s'],
    ]);
    const pods = await kubectl(['get', 'podmetrics', '-A']);
    assert.equal(pods.code, 0, pods.stderr);
    assert.deepEqual(rows(pods.stdout)[0], ['NAMESPACE', 'NAME', 'CPU', 'MEMORY', 'WINDOW']);
    const yaml = await kubectl(['get', 'podmetrics', 'web', '-o', 'jsonpath={.containers[*].usage.cpu}']);
    assert.equal(yaml.stdout, '250m 2m');
  });

  it('explain finds the kinds in OpenAPI v3', async () => {
    const explained = await kubectl(['explain', 'podmetrics.containers']);
    assert.equal(explained.code, 0, explained.stderr);
    assert.match(explained.stdout, /GROUP:\s+metrics\.k8s\.io/);
    assert.match(explained.stdout, /usage\s+<map\[string\]Quantity>/);
  });
});
