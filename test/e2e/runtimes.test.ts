/**
 * The node scenarios (node-scenarios.ts) on each runtime a node can use:
 * skiff's own process runtime and containerd through the CRI, managed by
 * skiff (`skiff up --runtime containerd`), with the same busybox image from
 * a registry on loopback. Both need root; containerd needs Debian's
 * containerd, runc and containernetworking-plugins (.ci/run installs them).
 *
 * Then, on each runtime, a node that joined with `skiff agent` keeps its
 * pods' containers running while the agent restarts, and the next agent
 * adopts them (as the kubelet does with containerd's).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { canIsolate } from '../../src/node/runtime/process/host.js';
import { buildImage, busyboxLayer } from '../images/build-image.js';
import { pushImage } from '../images/push.js';
import { registrySkipReason, startRegistry, type TestRegistry } from '../images/registry.js';
import { BridgeNetwork } from '../../src/node/runtime/process/network.js';
import { runtimeStateCandidates } from '../../src/node/runtime/process/state-dir.js';
import { cliPath, holdNetworkTestLock, runSkiff, startCluster, waitFor, type Cluster } from './harness.js';
import { writeDockerArchive } from '../images/archive.js';
import { nodeScenarios } from './node-scenarios.js';
import { containerdPaths } from '../../src/node/runtime/cri/containerd/paths.js';

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const containerdTools = ['/usr/bin/containerd', '/usr/sbin/runc', '/usr/lib/cni/bridge'].filter((path) => !existsSync(path));

const runtimes = [
  { name: 'process', podCIDR: '10.42.81.0/24', agentPodCIDR: '10.42.84.0/24', skip: !root || !canIsolate() ? 'needs root and a machine that allows namespaces, cgroups and overlay mounts' : registrySkipReason() },
  {
    name: 'containerd',
    podCIDR: '10.42.82.0/24',
    agentPodCIDR: '10.42.85.0/24',
    skip: !root ? 'needs root' : containerdTools.length ? `needs ${containerdTools.join(', ')} (Debian containerd, runc, containernetworking-plugins)` : registrySkipReason(),
  },
];

for (const runtime of runtimes) {
  describe(`node scenarios on the ${runtime.name} runtime`, { skip: runtime.skip }, () => {
    let cluster: Cluster;
    let registry: TestRegistry;
    let image = '';
    let releaseLock = () => {};
    const dataDir = mkdtempSync(join(tmpdir(), `skiff-${runtime.name}-e2e-`));
    before(async () => {
      releaseLock = await holdNetworkTestLock();
      ({ registry, image } = await busyboxRegistry(dataDir));
      cluster = await startCluster({ dataDir, args: ['--runtime', runtime.name, '--pod-cidr', runtime.podCIDR, '--ingress-http-port', '0', '--ingress-https-port', '0'] });
    });
    after(async () => {
      await cluster?.stop();
      await registry?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      releaseLock();
    });

    for (const scenario of nodeScenarios) {
      test(scenario.name, async () => {
        const namespace = scenario.name.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '').slice(0, 40).replace(/-$/, '');
        await cluster.kubectl(['create', 'namespace', namespace]);
        await scenario.run({ cluster, image, namespace, dataDir });
      });
    }

    // On containerd the commands go to the containerd skiff runs for the data dir.
    test('skiff images lists, imports and removes the node\'s images, and keeps one a container uses', async () => {
      await cluster.kubectl(['run', 'keeper', `--image=${image}`, '--', 'sleep', '3600']);
      await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/keeper', '--timeout=60s']);
      const images = (...args: string[]) => runSkiff(['images', ...args, '--data-dir', dataDir]);
      const repository = image.slice(0, image.lastIndexOf(':'));
      assert.match((await images('ls')).stdout, new RegExp(`^${repository.replace(/[.]/g, '\\.')}\\s+v1\\s`, 'm'));

      const tool = await buildImage({ layers: [{ entries: busyboxLayer() }], config: { Cmd: ['true'], Env: ['PATH=/bin'] } });
      const archive = join(dataDir, 'tool.tar');
      await writeDockerArchive(archive, [{ image: tool, repoTags: ['extra/tool:v1'] }]);
      const imported = await images('import', archive);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /^imported .*extra\/tool:v1/m);
      assert.match((await images('ls')).stdout, /extra\/tool\s+v1\s/);

      const refused = await images('rm', image);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /is in use by a container/);
      const removed = await images('rm', 'extra/tool:v1');
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /^deleted sha256:[0-9a-f]{64}$/m);
      const left = (await images('ls')).stdout;
      assert.doesNotMatch(left, /extra\/tool/);
      assert.match(left, new RegExp(repository.replace(/[.]/g, '\\.')));
      const missing = await images('rm', 'extra/tool:v1');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /image "extra\/tool:v1" not found/);
    });
  });
}

/**
 * A registry on loopback holding busybox (built here) as test/busybox:v1,
 * named in `dataDir`'s registries.yaml — it speaks plain HTTP, so as a
 * mirror of itself, as with k3s.
 */
async function busyboxRegistry(dataDir: string): Promise<{ registry: TestRegistry; image: string }> {
  const registry = await startRegistry();
  const busybox = await buildImage({ layers: [{ entries: busyboxLayer() }], config: { Cmd: ['sh'], Env: ['PATH=/bin'] } });
  await pushImage(registry.url, 'test/busybox', 'v1', busybox);
  writeFileSync(join(dataDir, 'registries.yaml'), `mirrors:\n  "${registry.host}": { endpoint: ["http://${registry.host}"] }\n`);
  return { registry, image: `${registry.host}/test/busybox:v1` };
}

/** Whether something accepts TCP connections at address:port. */
function answers(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port }, () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** The host processes whose command line is exactly `args` (a container's main process, seen from the node). */
function processesRunning(args: string[]): number[] {
  const wanted = args.join('\0');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0$/, '') === wanted) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

for (const runtime of runtimes) {
  describe(`an agent restart on the ${runtime.name} runtime keeps the pods' containers`, { skip: runtime.skip }, () => {
    let cluster: Cluster;
    let registry: TestRegistry;
    let agent: ChildProcess | undefined;
    let image = '';
    let releaseLock = () => {};
    const agentDir = mkdtempSync(join(tmpdir(), `skiff-${runtime.name}-agent-e2e-`));
    const nodeName = `restarted-${runtime.name}`;
    // A command line no other test's container has: the container's process is found on the node by it.
    const marker = ['sleep', `${3600 + (runtime.name === 'process' ? 1 : 2)}`];

    const startAgent = async (): Promise<ChildProcess> => {
      const token = readFileSync(join(cluster.dataDir, 'join-token'), 'utf8').trim();
      const pin = await waitFor(async () => /--ca-cert-hash (sha256:[0-9a-f]{64})/.exec(cluster.output())?.[1], { message: 'the CA hash' });
      const child = spawn(
        process.execPath,
        [cliPath(), 'agent', '--server', `https://127.0.0.1:${cluster.port}`, '--token', token, '--ca-cert-hash', pin, '--name', nodeName, '--data-dir', agentDir,
          '--runtime', runtime.name, '--pod-cidr', runtime.agentPodCIDR, '--registries', join(agentDir, 'registries.yaml'), '--ingress-http-port', '0', '--ingress-https-port', '0'],
        // Its log in its data dir: what a failure message quotes.
        { stdio: ['ignore', openSync(join(agentDir, 'agent.log'), 'a'), openSync(join(agentDir, 'agent.log'), 'a')] },
      );
      child.once('exit', (code, signal) => writeFileSync(join(agentDir, 'agent.log'), `--- the agent exited: code ${code}, signal ${signal}\n`, { flag: 'a' }));
      // A restarted node is still Ready from the last agent's heartbeats: this agent is up once its endpoint answers
      // (the last one has exited), and the node is Ready.
      await waitFor(async () => {
        const node = JSON.parse((await cluster.kubectl(['get', 'node', nodeName, '-o', 'json'], { allowFailure: true })).stdout || '{}') as { status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } }; conditions?: { type: string; status: string }[] } };
        const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
        const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return ready && address && port && child.exitCode === null && (await answers(address, port));
      }, { message: `${nodeName}'s agent serving`, timeoutMs: 60_000 });
      return child;
    };
    const stopAgent = async (): Promise<number | null> => {
      if (!agent || agent.exitCode !== null) return agent?.exitCode ?? null;
      const exited = new Promise<number | null>((resolve) => agent!.once('exit', (code) => resolve(code)));
      agent.kill('SIGTERM');
      return exited;
    };

    before(async () => {
      releaseLock = await holdNetworkTestLock();
      ({ registry, image } = await busyboxRegistry(agentDir));
      // The control plane alone; the node is the agent's.
      cluster = await startCluster({ args: ['--runtime', 'none'] });
      agent = await startAgent();
    });
    after(async () => {
      // Its pods first (a joined agent leaves running containers behind when it stops), then the agent.
      await cluster?.kubectl(['delete', 'pods', '--all', '--wait=true', '--timeout=30s'], { allowFailure: true });
      await stopAgent();
      await cluster?.stop();
      await registry?.stop();
      // What a failed test left: the containers (by their command line), the agent's state in memory, its bridge.
      for (const pid of processesRunning(marker)) spawnSync('kill', ['-9', String(pid)]);
      for (const stateDir of runtimeStateCandidates(agentDir)) if (stateDir.startsWith('/run/')) spawnSync('pkill', ['-9', '-f', stateDir]);
      await new BridgeNetwork(runtime.agentPodCIDR).remove().catch(() => {});
      // And what skiff down removes: containerd's state in /run, the node's nftables tables.
      const down = await runSkiff(['down', '--data-dir', agentDir], 120_000);
      assert.equal(down.code, 0, down.stderr);
      // The agent stopped containerd; its state in /run is gone with skiff down.
      const containerdState = dirname(containerdPaths(agentDir, { isRoot: true }).state);
      assert.equal(existsSync(containerdState), false, `${containerdState} after skiff down: ${down.stdout}`);
      rmSync(agentDir, { recursive: true, force: true });
      releaseLock();
    });

    test('the container runs on while no agent runs; the next agent adopts it: same container, exec, logs, delete', async () => {
      try {
        await restartKeepsContainers();
      } catch (err) {
        // A failure says what the agents said.
        const tail = readFileSync(join(agentDir, 'agent.log'), 'utf8').split('\n').slice(-40).join('\n');
        const endpoints = (await cluster.kubectl(['get', 'node', nodeName, '-o', 'jsonpath={.status.daemonEndpoints}'], { allowFailure: true })).stdout;
        const listening = spawnSync('ss', ['-ltnp'], { encoding: 'utf8' }).stdout;
        throw new Error(`${(err as Error).message}\n--- ${nodeName} agent log (tail):\n${tail}\n--- node endpoints: ${endpoints}\n--- listening:\n${listening}`);
      }
    });

    async function restartKeepsContainers(): Promise<void> {
      const k = (args: string[], options: { allowFailure?: boolean } = {}) => cluster.kubectl(args, options);
      await cluster.kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'kept' },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'kept', image, command: ['sh', '-c', `cat /proc/sys/kernel/random/uuid > /tmp/boot; echo "booted $(cat /tmp/boot)"; exec ${marker.join(' ')}`] }],
          },
        }),
      });
      await k(['wait', '--for=condition=Ready', 'pod/kept', '--timeout=60s']);
      const boot = (await k(['exec', 'kept', '--', 'cat', '/tmp/boot'])).stdout;
      const before = JSON.parse((await k(['get', 'pod', 'kept', '-o', 'jsonpath={.status.containerStatuses[0]}'])).stdout) as { containerID: string; restartCount: number };
      const pids = processesRunning(marker);
      assert.equal(pids.length, 1, 'the container\'s process runs on the node');

      assert.equal(await stopAgent(), 0, 'the agent stops cleanly');
      assert.deepEqual(processesRunning(marker), pids, 'the container runs on without an agent');

      agent = await startAgent();
      // The next agent reports the same container, not a new one, and reaches it.
      const after = JSON.parse((await k(['get', 'pod', 'kept', '-o', 'jsonpath={.status.containerStatuses[0]}'])).stdout) as { containerID: string; restartCount: number; state: { running?: object } };
      assert.equal(after.containerID, before.containerID);
      assert.equal(after.restartCount, 0);
      assert.ok(after.state.running, JSON.stringify(after));
      assert.equal((await k(['exec', 'kept', '--', 'cat', '/tmp/boot'])).stdout, boot);
      assert.equal((await k(['logs', 'kept'])).stdout, `booted ${boot}`);
      assert.deepEqual(processesRunning(marker), pids);

      // And it still manages it: a delete ends the process.
      await k(['delete', 'pod', 'kept', '--wait=true', '--timeout=30s']);
      await waitFor(() => processesRunning(marker).length === 0, { message: 'the container\'s process ended' });
    }
  });
}
