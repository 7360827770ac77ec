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

  test('what the apiserver loads on first use works from the bundle: OpenAPI, protobuf bodies, CEL rules, /metrics', async () => {
    // OpenAPI (kubectl explain reads /openapi/v3).
    const explain = await cluster.kubectl(['explain', 'pods.spec.restartPolicy']);
    assert.match(explain.stdout, /FIELD: *restartPolicy/);
    // kubectl sends a Secret's create as protobuf.
    await cluster.kubectl(['create', 'secret', 'generic', 'lazy-protobuf', '--from-literal=k=v', '-v=8'], {}).then((result) => {
      assert.match(result.stderr, /Content-Type: application\/vnd\.kubernetes\.protobuf/);
    });
    assert.equal((await cluster.kubectl(['get', 'secret', 'lazy-protobuf', '-o', 'jsonpath={.data.k}'])).stdout, Buffer.from('v').toString('base64'));
    // A CRD with a CEL rule: the rule is compiled with the CRD and enforced on its objects.
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(ruledDefinition) });
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/widgets.lazy.skiff.dev', '--timeout=30s']);
    const refused = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(widget(-1)), allowFailure: true });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /size must not be negative/);
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(widget(3)) });
    // The node's process metrics come through prom-client, whose tracing dependency the bundle replaces.
    const node = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const metrics = await cluster.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/metrics`]);
    assert.match(metrics.stdout, /^process_cpu_user_seconds_total \d/m);
  });
});

const ruledDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.lazy.skiff.dev' },
  spec: {
    group: 'lazy.skiff.dev',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { size: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.size >= 0', message: 'size must not be negative' }] } },
          },
        },
      },
    ],
  },
};

function widget(size: number): object {
  return { apiVersion: 'lazy.skiff.dev/v1', kind: 'Widget', metadata: { name: `w${size < 0 ? 'neg' : size}`, namespace: 'default' }, spec: { size } };
}
