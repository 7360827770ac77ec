/**
 * Joining a node with the cluster's join token: `skiff agent --server URL
 * --token T` gets its certificates from the apiserver, registers its node,
 * and runs the pods bound to it. A wrong token is refused, and so is a
 * server whose CA does not match the pinned hash.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, startCluster, waitFor, type Cluster } from './harness.js';

describe('skiff agent --server --token', () => {
  let cluster: Cluster;
  let agent: ChildProcess | undefined;
  const agentDir = mkdtempSync(join(tmpdir(), 'skiff-agent-e2e-'));
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent!.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
    await cluster?.stop();
    rmSync(agentDir, { recursive: true, force: true });
  });

  test('a wrong token is refused; the right one joins a node that runs pods', async () => {
    const server = `https://127.0.0.1:${cluster.port}`;
    const refused = spawnSync(process.execPath, [cliPath(), 'agent', '--server', server, '--token', 'wrong', '--name', 'intruder', '--runtime', 'simulated', '--data-dir', join(agentDir, 'bad')], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /joining .* failed \(401\): Unauthorized/);

    const token = readFileSync(join(cluster.dataDir, 'join-token'), 'utf8').trim();
    // The CA pin skiff up prints: a wrong one stops the join before the token is sent.
    const pin = await waitFor(async () => /--ca-cert-hash (sha256:[0-9a-f]{64})/.exec(cluster.output())?.[1], { message: 'skiff up prints the CA hash in its join command' });
    const wrongPin = spawnSync(process.execPath, [cliPath(), 'agent', '--server', server, '--token', token, '--ca-cert-hash', `sha256:${'0'.repeat(64)}`, '--runtime', 'simulated', '--data-dir', join(agentDir, 'pinned-wrong')], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(wrongPin.status, 0);
    assert.match(wrongPin.stderr, /does not present a CA matching --ca-cert-hash/);
    agent = spawn(process.execPath, [cliPath(), 'agent', '--server', server, '--token', token, '--ca-cert-hash', pin, '--name', 'worker-1', '--runtime', 'simulated', '--data-dir', join(agentDir, 'good')], { stdio: 'ignore' });
    await waitFor(async () => (await cluster.kubectl(['get', 'node', 'worker-1', '-o', 'name'], { allowFailure: true })).stdout.trim() === 'node/worker-1', { message: 'worker-1 registered' });
    await cluster.kubectl(['wait', '--for=condition=Ready', 'node/worker-1', '--timeout=20s']);
    await cluster.kubectl(['create', 'deployment', 'on-worker', '--image=nginx', '--replicas=2']);
    await cluster.kubectl(['rollout', 'status', 'deployment/on-worker', '--timeout=30s']);
    const nodes = (await cluster.kubectl(['get', 'pods', '-l', 'app=on-worker', '-o', 'jsonpath={.items[*].spec.nodeName}'])).stdout.split(' ');
    assert.deepEqual(nodes, ['worker-1', 'worker-1']);
  });
});
