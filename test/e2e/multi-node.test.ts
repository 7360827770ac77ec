/**
 * Two nodes on one machine: `skiff up` and a `skiff agent` joined from a
 * "test host" — a network namespace linked to this machine by a veth pair.
 * Each node routes the other's pod range to it (host-gw), so a pod reaches
 * a Service whose endpoint is on the other node, by its DNS name, and
 * kubectl reaches pods on the joined node (exec).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, holdNetworkTestLock, startCluster, waitFor, type Cluster } from './harness.js';
import { canIsolate } from '../../src/node/runtime/process/runtime.js';
import { runtimeStateCandidates } from '../../src/node/runtime/process/state-dir.js';
import { serviceProxyAvailable } from '../../src/network/index.js';

const ready = canIsolate() && serviceProxyAvailable();
const netns = `skiff-th-${process.pid}`;
const hostSide = `skth${process.pid % 100000}`;

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore' });
}

describe('two nodes: pods reach Services across them', { skip: ready ? false : 'needs root, namespaces and nftables' }, () => {
  let cluster: Cluster;
  let agent: ChildProcess | undefined;
  const agentDir = mkdtempSync(join(tmpdir(), 'skiff-th-'));
  let releaseLock = () => {};
  before(async () => {
    releaseLock = await holdNetworkTestLock();
    ip('netns', 'add', netns);
    ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    ip('addr', 'add', '172.31.78.1/30', 'dev', hostSide);
    ip('link', 'set', hostSide, 'up');
    ip('-n', netns, 'addr', 'add', '172.31.78.2/30', 'dev', 'eth0');
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    ip('-n', netns, 'route', 'add', 'default', 'via', '172.31.78.1');
    // Listening on every address (the test host reaches it over the veth).
    cluster = await startCluster({ args: ['--runtime', 'process', '--bind', '0.0.0.0', '--pod-cidr', '10.42.82.0/24', '--ingress-http-port', '0', '--ingress-https-port', '0'] });
    const token = readFileSync(join(cluster.dataDir, 'join-token'), 'utf8').trim();
    const pin = await waitFor(async () => /--ca-cert-hash (sha256:[0-9a-f]{64})/.exec(cluster.output())?.[1], { message: 'the CA hash' });
    agent = spawn(
      'nsenter',
      [`--net=/run/netns/${netns}`, process.execPath, cliPath(), 'agent', '--server', `https://172.31.78.1:${cluster.port}`, '--token', token, '--ca-cert-hash', pin,
        '--name', 'far-node', '--data-dir', agentDir, '--pod-cidr', '10.42.83.0/24', '--ingress-http-port', '0', '--ingress-https-port', '0'],
      { stdio: 'ignore' },
    );
    await waitFor(async () => (await cluster.kubectl(['get', 'node', 'far-node', '-o', 'name'], { allowFailure: true })).code === 0, { message: 'the joined node' });
    await cluster.kubectl(['wait', '--for=condition=Ready', 'node/far-node', '--timeout=30s']);
  });
  after(async () => {
    // The workloads first, then their pods — all of them gone from the joined node before its agent
    // stops (a joined agent, like the kubelet, leaves running containers behind when it stops).
    await cluster?.kubectl(['delete', 'deployments', '--all', '--wait=true', '--timeout=30s'], { allowFailure: true });
    await cluster?.kubectl(['delete', 'pods', '--all', '--wait=true', '--timeout=30s'], { allowFailure: true });
    await waitFor(async () => (await cluster.kubectl(['get', 'pods', '-o', 'name'], { allowFailure: true })).stdout.trim() === '', { message: 'no pods left' }).catch(() => {});
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((resolve) => agent!.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
    await cluster?.stop();
    // Whatever the joined node still ran (a failed test): its pod shims (each ends its pod with it), their veths.
    spawnSync('pkill', ['-9', '-f', agentDir]);
    for (const stateDir of runtimeStateCandidates(agentDir)) {
      for (const file of readdirSafe(join(stateDir, 'sandboxes'))) {
        const sandbox = JSON.parse(readFileSync(join(stateDir, 'sandboxes', file, 'sandbox.json'), 'utf8')) as { network?: { veth: string }; shimPid?: number };
        if (sandbox.shimPid) spawnSync('kill', ['-9', String(sandbox.shimPid)]);
        if (sandbox.network) spawnSync('ip', ['-n', netns, 'link', 'del', sandbox.network.veth]);
      }
      // Its state in memory (a joined agent leaves it for the next one): pods' shims name it.
      if (stateDir.startsWith('/run/')) {
        spawnSync('pkill', ['-9', '-f', stateDir]);
        rmSync(stateDir, { recursive: true, force: true });
      }
    }
    for (const args of [['netns', 'del', netns], ['link', 'del', hostSide]]) spawnSync('ip', args);
    rmSync(agentDir, { recursive: true, force: true });
    releaseLock();
  });

  test('a pod on one node reaches a Service whose pods run on the other, both ways, by DNS name', async () => {
    const mainNode = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[?(@.metadata.name!="far-node")].metadata.name}'])).stdout.split(' ')[0];
    for (const [name, node] of [['here', mainNode], ['there', 'far-node']]) {
      const server = `require('http').createServer((q, s) => s.end('${name}')).listen(8080)`;
      await cluster.kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name },
          spec: {
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: { runtimeClassName: 'host', nodeSelector: { 'kubernetes.io/hostname': node }, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'node', command: [process.execPath, '-e', server] }] },
            },
          },
        }),
      });
      await cluster.kubectl(['expose', 'deployment', name, '--port=80', '--target-port=8080']);
    }
    for (const name of ['here', 'there']) await cluster.kubectl(['rollout', 'status', `deployment/${name}`, '--timeout=60s']);
    const ask = async (from: string, service: string) => (await cluster.kubectl(['exec', `deployment/${from}`, '--', 'curl', '-s', '--max-time', '3', `http://${service}/`], { allowFailure: true })).stdout;
    await waitFor(async () => (await ask('here', 'there')) === 'there', { message: 'main node → far node, by Service name' });
    await waitFor(async () => (await ask('there', 'here')) === 'here', { message: 'far node → main node, by Service name' });
    assert.equal(await ask('there', 'there'), 'there', 'a pod reaches itself through its own Service (hairpin)');
  });

  test('after a kill -9 of the joined agent, skiff down in its namespace removes its route to the other node\'s pods, its bridge and tables', async () => {
    await cluster.kubectl(['delete', 'deployments', '--all', '--wait=true', '--timeout=30s']);
    await waitFor(async () => (await cluster.kubectl(['get', 'pods', '-o', 'name'])).stdout.trim() === '', { message: 'no pods left' });
    const inNamespace = (command: string, ...args: string[]) => execFileSync('nsenter', [`--net=/run/netns/${netns}`, command, ...args], { encoding: 'utf8' });
    const record = JSON.parse(readFileSync(join(agentDir, 'node-network.json'), 'utf8')) as { bridge: string; nftTables: string[]; podRoutes: string[] };
    assert.deepEqual(record.podRoutes, ['10.42.82.0/24'], 'the agent records the route it made');
    assert.match(inNamespace('ip', 'route', 'show', 'proto', '197'), /^10\.42\.82\.0\/24 via 172\.31\.78\.1 /m);
    const exited = new Promise((resolve) => agent!.once('exit', resolve));
    agent!.kill('SIGKILL');
    await exited;
    const said = inNamespace(process.execPath, cliPath(), 'down', '--data-dir', agentDir);
    assert.match(said, /removed 1 route to other nodes' pods/);
    assert.equal(inNamespace('ip', 'route', 'show', 'proto', '197'), '');
    assert.doesNotMatch(inNamespace('ip', '-o', 'link', 'show'), new RegExp(`: ${record.bridge}[@:]`));
    const tables = inNamespace('nft', 'list', 'tables');
    for (const table of record.nftTables) assert.doesNotMatch(tables, new RegExp(`table ip ${table}$`, 'm'));
    assert.equal(inNamespace(process.execPath, cliPath(), 'down', '--data-dir', agentDir).split('\n')[0], `nothing to stop or remove for ${agentDir}`);
  });
});
