/**
 * `skiff up --runtime simulated`: a whole cluster — apiserver, controllers,
 * scheduler and a node agent whose pods run nowhere but report as a
 * kubelet's would — driven by kubectl.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from './harness.js';

describe('skiff up --runtime simulated', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ args: ['--runtime', 'simulated'] });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('the node is Ready; a Deployment rolls out; a Job completes; deleting a pod finishes', async () => {
    // The agent registers its node shortly after the apiserver is up: wait for it to exist, then to be Ready.
    await waitFor(async () => (await cluster.kubectl(['get', 'nodes', '-o', 'name'])).stdout.trim() !== '', { message: 'a node' });
    await cluster.kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=20s']);
    await cluster.kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=2']);
    const rollout = await cluster.kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s']);
    assert.match(rollout.stdout, /deployment "web" successfully rolled out/);
    const table = await cluster.kubectl(['get', 'pods', '-l', 'app=web', '--no-headers']);
    assert.equal(table.stdout.trim().split('\n').filter((line) => /\s1\/1\s+Running\s/.test(line)).length, 2);

    await cluster.kubectl(['create', 'job', 'once', '--image=busybox', '--', 'true']);
    await cluster.kubectl(['wait', '--for=condition=complete', 'job/once', '--timeout=30s']);

    const pod = (await cluster.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const deleted = await cluster.kubectl(['delete', 'pod', pod, '--timeout=30s']);
    assert.equal(deleted.stdout, `pod "${pod}" deleted\n`);
  });
});
