/**
 * A graceful stop of the agent finishes the teardown of the pods deleted
 * just before it: with the process runtime as root, no network namespace,
 * bridge port, pod shim or cgroup of theirs is left once `run` has
 * returned. And a starting runtime removes the pod shims and bridge ports
 * that no sandbox records.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client } from '../../src/client/index.js';
import { NodeAgent, ProcessRuntime } from '../../src/node/index.js';
import { canIsolate } from '../../src/node/runtime/process/host.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { holdNetworkTestLock } from '../e2e/harness.js';
import { eventually, resources } from './harness.js';

const podCIDR = '10.42.91.0/24';
const bridge = 'skiff-42-91';
const skip =
  typeof process.getuid !== 'function' || process.getuid() !== 0
    ? 'needs root: pods get network namespaces, a bridge port and cgroups only as root'
    : !canIsolate()
      ? 'this machine does not let skiff create namespaces (ip, nsenter, unshare or mount missing)'
      : false;

let api: TestServer;
let client: Client;
let runtime: ProcessRuntime | undefined;
let release: () => void = () => {};
const dir = mkdtempSync(join(tmpdir(), 'skiff-pod-cleanup-'));

before(async () => {
  if (skip) return;
  release = await holdNetworkTestLock();
  api = await startTestServer();
  client = new Client(api.credentials);
});

after(async () => {
  if (!skip) {
    // Whatever a failed run left: its containers, sandboxes and namespaces.
    await runtime?.stopAll().catch(() => {});
    for (const sandbox of (await runtime?.listPodSandboxes()) ?? []) await runtime?.removePodSandbox(sandbox.id).catch(() => {});
    client.close();
    await api.close();
    try {
      execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    } catch {
      /* not there */
    }
  }
  release();
  rmSync(dir, { recursive: true, force: true });
});

/** The network namespaces some process is in (a namespace lives as long as one does). */
function liveNetworkNamespaces(): Set<string> {
  const found = new Set<string>();
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      found.add(readlinkSync(`/proc/${pid}/ns/net`));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

function sandboxRecords(stateDir: string): { id: string; podUid: string; shimPid: number }[] {
  const sandboxes = join(stateDir, 'sandboxes');
  return readdirSync(sandboxes).map((id) => JSON.parse(readFileSync(join(sandboxes, id, 'sandbox.json'), 'utf8')) as { id: string; podUid: string; shimPid: number });
}

function bridgePorts(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** The cgroup directories a pod's containers live under (v2, or v1's controllers). */
function cgroupDirs(uid: string): string[] {
  return ['', 'memory', 'cpu', 'cpuacct', 'pids'].map((c) => join('/sys/fs/cgroup', c, 'skiff', uid)).filter((path) => existsSync(path));
}

type Pod = KubeObject & { spec?: Record<string, unknown>; status?: { phase?: string } };

describe('node agent (process runtime, root): nothing of deleted pods is left', { skip }, () => {
  it('waits for the teardown of pods deleted just before: no namespace, bridge port or cgroup of theirs is left', async () => {
    const stateDir = join(dir, 'state');
    runtime = new ProcessRuntime({ logDir: join(dir, 'logs'), stateDir, hostIP: '127.0.0.1', podCIDR });
    const stop = new AbortController();
    const agent = new NodeAgent(client, {
      identity: { name: 'cleanup', runtime: 'process', capacity: { cpu: '2', memory: '4Gi', pods: '20' }, address: '127.0.0.1', dataDir: dir },
      runtime,
      leaseRenewMs: 200,
    });
    const running = agent.run(stop.signal);
    const pods = client.resource<Pod>(resources.pods);
    const names = ['cleanup-0', 'cleanup-1', 'cleanup-2', 'cleanup-3'];
    const uids: string[] = [];
    let namespaces: string[] = [];
    let shims: number[] = [];
    try {
      for (const name of names) {
        await pods.create({ metadata: { name, namespace: 'default' }, spec: { nodeName: 'cleanup', automountServiceAccountToken: false, terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] } });
      }
      for (const name of names) {
        const pod = await eventually(() => pods.get('default', name), (p) => p.status?.phase === 'Running', `${name} Running`);
        uids.push(pod.metadata.uid!);
      }
      // Each pod's network namespace: the one its shim holds.
      const records = sandboxRecords(stateDir);
      shims = records.map((r) => r.shimPid);
      namespaces = shims.map((pid) => readlinkSync(`/proc/${pid}/ns/net`));
      assert.equal(new Set(namespaces).size, names.length, 'a network namespace per pod');
      assert.ok(!namespaces.includes(readlinkSync('/proc/self/ns/net')), "not the node's");
      assert.equal(bridgePorts().length, names.length);
      for (const uid of uids) assert.notDeepEqual(cgroupDirs(uid), [], `a cgroup for pod ${uid}`);
      // Each shim was born in the node's pod-shim cgroup, out of the agent's (a service manager stopping the agent leaves the pods).
      for (const record of records) assert.match(readFileSync(`/proc/${record.shimPid}/cgroup`, 'utf8'), /:\/skiff\/pod-shims$/m);

      for (const name of names) await pods.delete('default', name, { gracePeriodSeconds: 0 });
      await eventually(() => pods.list('default'), (list) => !list.items.some((p) => names.includes(p.metadata.name!)), 'the pods gone from the API');
    } finally {
      // The graceful stop, right after the deletions.
      stop.abort();
      await running;
    }
    const live = liveNetworkNamespaces();
    assert.deepEqual(namespaces.filter((ns) => live.has(ns)), [], 'no network namespace left');
    assert.deepEqual(shims.filter((pid) => existsSync(`/proc/${pid}`)), [], 'no pod shim left');
    assert.deepEqual(bridgePorts(), [], 'no bridge port left');
    assert.deepEqual(uids.flatMap(cgroupDirs), [], 'no cgroup left');
    const sandboxesLeft = existsSync(join(stateDir, 'sandboxes')) ? readdirSync(join(stateDir, 'sandboxes')) : [];
    assert.deepEqual(sandboxesLeft, [], 'no sandbox left in the state dir');
  });

  it('a starting runtime removes the pod shims and bridge ports that no sandbox records', async () => {
    const stateDir = join(dir, 'state-strays');
    // What an agent that ended between making a pod and recording it leaves: a shim and its veth on the bridge.
    const first = new ProcessRuntime({ logDir: join(dir, 'logs'), stateDir, hostIP: '127.0.0.1', podCIDR });
    const sandbox = await first.runPodSandbox({ uid: 'unrecorded', namespace: 'default', name: 'unrecorded' });
    const [{ shimPid }] = sandboxRecords(stateDir);
    unlinkSync(join(stateDir, 'sandboxes', sandbox.id, 'sandbox.json'));
    await first.shutdown();
    // And a veth on the bridge that nothing of skiff's made a record of at all.
    const stray = 'skiff-0badc0ffee42';
    execFileSync('ip', ['netns', 'add', stray]);
    try {
      execFileSync('ip', ['link', 'add', 'sk0badc0ffee42', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', stray]);
      execFileSync('ip', ['link', 'set', 'sk0badc0ffee42', 'master', bridge, 'up']);
      assert.equal(bridgePorts().length, 2);
      assert.ok(existsSync(`/proc/${shimPid}`), 'the unrecorded shim runs');
      const next = new ProcessRuntime({ logDir: join(dir, 'logs'), stateDir, hostIP: '127.0.0.1', podCIDR });
      await next.recover();
      await next.shutdown();
      await eventually(async () => existsSync(`/proc/${shimPid}`), (exists) => !exists, 'the unrecorded shim gone');
      assert.deepEqual(bridgePorts(), [], 'their bridge ports are gone');
      assert.deepEqual(readdirSync(join(stateDir, 'sandboxes')), [], 'the unrecorded sandbox directory is gone');
    } finally {
      try {
        execFileSync('ip', ['netns', 'del', stray], { stdio: 'ignore' });
      } catch {
        /* removed */
      }
    }
  });
});
