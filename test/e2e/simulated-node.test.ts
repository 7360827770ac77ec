/**
 * `skiff up --runtime simulated`: a whole cluster — apiserver, controllers,
 * scheduler and a node agent whose pods run nowhere but report as a
 * kubelet's would — driven by kubectl.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runSkiff, startCluster, waitFor, type Cluster } from './harness.js';
import { kubectlPath } from './tools.js';

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
  test('skiff kubectl runs kubectl with the cluster\'s kubeconfig and passes its exit code on', async (t) => {
    // The pinned kubectl, whatever the PATH has (runSkiff's child inherits this process's environment).
    process.env.SKIFF_KUBECTL = kubectlPath();
    t.after(() => delete process.env.SKIFF_KUBECTL);
    // The node registers shortly after the apiserver is up.
    const nodes = await waitFor(async () => {
      const listed = await runSkiff(['kubectl', '--data-dir', cluster.dataDir, 'get', 'nodes', '-o', 'name']);
      assert.equal(listed.code, 0, listed.stderr);
      return listed.stdout.trim() ? listed : undefined;
    }, { message: 'the node through skiff kubectl' });
    assert.match(nodes.stdout, /^node\/\S+$/m);
    const missing = await runSkiff(['kubectl', `--data-dir=${cluster.dataDir}`, 'get', 'pod', 'no-such-pod']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pods "no-such-pod" not found/);
    const empty = mkdtempSync(join(tmpdir(), 'skiff-no-cluster-'));
    t.after(() => rmSync(empty, { recursive: true, force: true }));
    const none = await runSkiff(['kubectl', '--data-dir', empty, 'get', 'pods']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no cluster in .* \(no kubeconfig\.yaml there\): start one with skiff up/);
  });

  test('skiff status exits 0 when all is well and 1 while a node is NotReady, naming it', async () => {
    const status = () => runSkiff(['status', '--data-dir', cluster.dataDir]);
    // The leaders take their leases and the node registers shortly after the apiserver is up.
    const well = await waitFor(async () => {
      const result = await status();
      return result.code === 0 ? result : undefined;
    }, { message: 'skiff status healthy' });
    assert.match(well.stdout, new RegExp(`^cluster   ${cluster.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: running \\(PID \\d+, up \\d+s\\)$`, 'm'));
    assert.match(well.stdout, /^ok        apiserver ready \(3 checks\)$/m);
    assert.match(well.stdout, /^ok        kube-scheduler leader \S+$/m);
    assert.match(well.stdout, /^ok        node \S+ Ready/m);
    assert.match(well.stdout, /^healthy$/m);

    // A pod no node has room for: a warning that names it and the scheduler's reason; the cluster is still healthy.
    await cluster.kubectl(['run', 'huge', '--image=nginx', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'huge', image: 'nginx', resources: { requests: { cpu: '1000' } } }] } })]);
    const stuck = await waitFor(async () => {
      const result = await status();
      return /cannot run/.test(result.stdout) ? result : undefined;
    }, { message: 'skiff status names the pod that cannot run' });
    assert.equal(stuck.code, 0, stuck.stdout);
    assert.match(stuck.stdout, /^warning   1 pod cannot run: default\/huge Unschedulable \(0\/1 nodes are available: 1 Insufficient cpu\.[^)]*\) \(kubectl describe pod\)$/m);
    await cluster.kubectl(['delete', 'pod', 'huge', '--wait=true']);

    // A node no agent serves, NotReady, whose Ingress controller is said to listen where nothing does.
    const closedPort = await freePort();
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'ghost', annotations: { 'skiff.dev/ingress': `http :${closedPort}` } } }) });
    const lastHeartbeatTime = new Date().toISOString();
    const ghostStatus = { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'gone', lastHeartbeatTime, lastTransitionTime: lastHeartbeatTime }], addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] };
    await cluster.kubectl(['patch', 'node', 'ghost', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: ghostStatus })]);
    const sick = await status();
    assert.equal(sick.code, 1, sick.stdout);
    assert.match(sick.stdout, /^FAIL      node ghost NotReady \(ingress http :\d+\)$/m);
    assert.match(sick.stdout, /^warning   node ghost is NotReady$/m);
    assert.match(sick.stdout, new RegExp(`^warning   node ghost: the Ingress controller does not answer at 127\\.0\\.0\\.1:${closedPort} \\(connection refused\\)$`, 'm'));
    assert.match(sick.stdout, /^NOT healthy$/m);
    await cluster.kubectl(['delete', 'node', 'ghost']);
    assert.equal((await status()).code, 0);
  });

  test('kubectl delete --dry-run=server deletes nothing; kubectl drain waits on a PodDisruptionBudget and evicts once it allows', async () => {
    await cluster.kubectl(['create', 'configmap', 'keep', '--from-literal=a=b']);
    const dry = await cluster.kubectl(['delete', 'configmap', 'keep', '--dry-run=server']);
    assert.equal(dry.stdout, 'configmap "keep" deleted (server dry run)\n');
    assert.equal((await cluster.kubectl(['get', 'configmap', 'keep', '-o', 'jsonpath={.data.a}'])).stdout, 'b');

    await cluster.kubectl(['create', 'deployment', 'guarded', '--image=nginx', '--replicas=2']);
    await cluster.kubectl(['rollout', 'status', 'deployment/guarded', '--timeout=30s']);
    await cluster.kubectl(['create', 'poddisruptionbudget', 'guarded', '--selector=app=guarded', '--min-available=100%']);
    await waitFor(async () => (await cluster.kubectl(['get', 'pdb', 'guarded', '-o', 'jsonpath={.status.currentHealthy}'])).stdout === '2', { message: 'the PDB counts both pods' });
    const node = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const blocked = await cluster.kubectl(['drain', node, '--ignore-daemonsets', '--pod-selector=app=guarded', '--timeout=3s'], { allowFailure: true });
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);
    const running = (await cluster.kubectl(['get', 'pods', '-l', 'app=guarded', '-o', 'jsonpath={range .items[*]}{.metadata.deletionTimestamp}{"|"}{end}'])).stdout;
    assert.equal(running, '||', 'no guarded pod was evicted');

    // A drain that meets the budget waits and retries (every 5 s, as against upstream) until the budget allows.
    const drain = cluster.kubectlStream(['drain', node, '--ignore-daemonsets', '--pod-selector=app=guarded', '--timeout=60s']);
    await drain.stderr.waitForLine(/will retry after 5s/, { message: 'drain meets the budget' });
    await cluster.kubectl(['patch', 'pdb', 'guarded', '--type=merge', '-p', '{"spec":{"minAvailable":0}}']);
    await drain.stdout.waitForLine(/node\/\S+ drained/, { timeoutMs: 30_000, message: 'drain finishes once the budget allows' });
    await drain.stop();
    await cluster.kubectl(['uncordon', node]);
  });
});
