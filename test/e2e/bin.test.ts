/**
 * The `skiff` the package installs (its bin, dist/skiff.mjs: the bundle
 * `npm run build` makes so the command starts fast) runs the same cluster as
 * tsc's dist/src/cli/main.js, which the other end-to-end tests start. Each
 * part it loads lazily works from its chunk: the version module, the
 * controllers' name check, the apiserver, then after the ready line the
 * controllers, the scheduler and a process node agent with its network, and
 * the WebSocket library on the first `kubectl exec`. A SIGTERM right after
 * the ready line, while those still load, stops the cluster cleanly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostDeployment, startCluster, type Cluster, startHostProcessCluster } from './harness.js';
import { repositoryRoot } from './tools.js';

const root = repositoryRoot();
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; bin: { skiff: string } };
const bin = join(root, packageJson.bin.skiff);
// The harness starts what SKIFF_CLI names: the bin, for every cluster of this file.
process.env.SKIFF_CLI = bin;

function skiff(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

test('the bin is the bundle, and skiff version answers from it', () => {
  assert.equal(packageJson.bin.skiff, 'dist/skiff.mjs');
  const { stdout, status } = skiff(['version']);
  assert.equal(status, 0);
  assert.equal(stdout, `skiff ${packageJson.version} (Kubernetes v1.32.0)\n`);
});

test('a --controllers typo fails at once, before anything starts', () => {
  const { stderr, status } = skiff(['up', '--data-dir', '/nonexistent/never-created', '--controllers', '*,-jobs']);
  assert.equal(status, 2, 'a usage error');
  assert.match(stderr, /^skiff: --controllers: unknown controllers: jobs \(known: .*\bjob\b/);
});

test('SIGTERM right after the ready line stops cleanly', async () => {
  const cluster = await startCluster();
  assert.equal(await cluster.stop(), 0);
});

describe('skiff up from the bin, with a process node', () => {
  let cluster: Cluster;
  before(async () => {
    // As in process-node.test.ts: as root, skiff runs as nobody (plain processes, no isolation).
    cluster = await startHostProcessCluster(['--ingress-http-port', '0', '--ingress-https-port', '0']);
  });
  after(async () => {
    assert.equal(await cluster?.stop(), 0);
  });

  test('a Deployment rolls out (controllers, scheduler and node agent run) and kubectl exec reaches its pod', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: hostDeployment('sleeper', ['sh', '-c', 'sleep 600']) });
    await cluster.kubectl(['rollout', 'status', 'deployment/sleeper', '--timeout=60s']);
    const exec = await cluster.kubectl(['exec', 'deployment/sleeper', '--', 'sh', '-c', 'echo from the pod']);
    assert.equal(exec.stdout, 'from the pod\n');
  });
});
