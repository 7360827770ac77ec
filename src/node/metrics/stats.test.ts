/** The stats provider: the runtime's stats, the /proc fallback, pods summed, the node, and its cache. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PodWorker } from '../pod-worker.js';
import type { ContainerStatus, Runtime } from '../runtime/runtime.js';
import { FixtureRoot, netDevFixture } from './proc-fixtures.js';
import { NodeStatsProvider, type StatsPod, type StatsRuntime } from './stats.js';

// What the agent has is what the provider takes: its pod workers, its runtime (checked when compiled).
export const workersAreStatsPods = (worker: PodWorker): StatsPod => worker;
export const runtimesAreStatsRuntimes = (runtime: Runtime): StatsRuntime => runtime;

const roots: FixtureRoot[] = [];
after(() => roots.forEach((r) => r.remove()));

const started = new Date('2024-05-01T10:00:00Z');

interface FakeContainer {
  sandbox: string;
  status: ContainerStatus;
  stats?: { memoryBytes: number; cpuNanos: number };
  pid?: number;
}

/** A runtime that answers from a table, and counts its calls. */
class FakeRuntime implements StatsRuntime {
  calls = 0;
  constructor(readonly containers: FakeContainer[]) {}
  async listContainers(sandboxId: string): Promise<ContainerStatus[]> {
    this.calls++;
    return this.containers.filter((c) => c.sandbox === sandboxId).map((c) => c.status);
  }
  async containerStats(id: string) {
    return this.containers.find((c) => c.status.id === id)?.stats;
  }
  containerPid(id: string) {
    return this.containers.find((c) => c.status.id === id)?.pid;
  }
}

const status = (id: string, name: string, state: ContainerStatus['state'] = 'running'): ContainerStatus => ({ id, name, image: `img-${name}`, state, createdAt: new Date(started.getTime() - 1000), startedAt: started });
const pod = (name: string, sandboxId: string | undefined, namespace = 'default'): StatsPod => ({ podObject: { metadata: { name, namespace, uid: `uid-${name}` } }, sandboxId });

describe('NodeStatsProvider', () => {
  it("takes a container's cpu and working set from the runtime, the rest from its cgroup, and sums the pod", async () => {
    const root = new FixtureRoot()
      .process(100, { ppid: 1, cgroup: '0::/skiff/uid-web/c1\n', netNamespace: 'net:[4026532001]', netDev: netDevFixture })
      .file('sys/fs/cgroup/skiff/uid-web/c1/memory.current', '3000\n')
      .file('sys/fs/cgroup/skiff/uid-web/c1/memory.stat', 'anon 1500\ninactive_file 500\n');
    roots.push(root);
    const runtime = new FakeRuntime([
      { sandbox: 's1', status: status('c1', 'app'), stats: { memoryBytes: 2500, cpuNanos: 2e9 }, pid: 100 },
      { sandbox: 's1', status: status('c2', 'sidecar'), stats: { memoryBytes: 1000, cpuNanos: 5e8 } },
      { sandbox: 's1', status: status('c0', 'old', 'exited'), stats: { memoryBytes: 1, cpuNanos: 1 } },
    ]);
    const provider = new NodeStatsProvider({ runtime, pods: () => [pod('web', 's1')], machine: false, now: () => 1_700_000_000_123, procRoot: root.dir });
    const snapshot = await provider.snapshot();
    assert.deepEqual(snapshot.node, { timestampMs: 1_700_000_000_123 });
    assert.equal(snapshot.pods.length, 1);
    const [web] = snapshot.pods;
    assert.deepEqual(
      web.containers.map((c) => [c.name, c.cpuNanos, c.memoryWorkingSetBytes, c.memoryUsageBytes, c.memoryRssBytes, c.startTimeMs]),
      [
        ['app', 2e9, 2500, 3000, 1500, started.getTime()],
        ['sidecar', 5e8, 1000, undefined, undefined, started.getTime()],
      ],
    );
    assert.equal(web.cpuNanos, 2.5e9);
    assert.equal(web.memoryWorkingSetBytes, 3500);
    assert.equal(web.swapBytes, undefined, 'not every container says its swap');
    assert.deepEqual(web.network?.map((i) => i.name), ['eth0', 'cni0']);
  });

  it("reads a pod's network from its sandbox's process when the runtime names one (containerd's pause), with no container PIDs", async () => {
    const root = new FixtureRoot().process(300, { ppid: 1, netNamespace: 'net:[4026532009]', netDev: netDevFixture });
    roots.push(root);
    // A CRI runtime: stats from the runtime, no container PIDs, the sandbox's PID from its verbose status.
    const runtime = Object.assign(new FakeRuntime([{ sandbox: 's1', status: status('c1', 'app'), stats: { memoryBytes: 10, cpuNanos: 20 } }]), {
      sandboxPid: async (sandboxId: string) => (sandboxId === 's1' ? 300 : undefined),
    });
    const provider = new NodeStatsProvider({ runtime, pods: () => [pod('web', 's1')], machine: false, procRoot: root.dir });
    const [web] = (await provider.snapshot()).pods;
    assert.deepEqual(web.network?.map((i) => i.name), ['eth0', 'cni0']);
  });

  it("takes the pod's cpu, memory and network from PodSandboxStats where the runtime has it (its cgroup, pause included)", async () => {
    const runtime = Object.assign(new FakeRuntime([{ sandbox: 's1', status: status('c1', 'app'), stats: { memoryBytes: 10, cpuNanos: 20 } }]), {
      podSandboxStats: async () => ({ cpuNanos: 500, memoryWorkingSetBytes: 4096, network: [{ name: 'eth0', rxBytes: 7, txBytes: 8 }, { name: 'lo', rxBytes: 1, txBytes: 1 }] }),
      sandboxPid: async () => assert.fail('the network came with PodSandboxStats'),
    });
    const provider = new NodeStatsProvider({ runtime, pods: () => [pod('web', 's1')], machine: false });
    const [web] = (await provider.snapshot()).pods;
    assert.deepEqual([web.cpuNanos, web.memoryWorkingSetBytes, web.network], [500, 4096, [{ name: 'eth0', rxBytes: 7, txBytes: 8 }]]);
    assert.equal(web.containers[0].cpuNanos, 20, 'containers keep their own');
  });

  it("falls back to the container's processes in /proc when the runtime has no stats", async () => {
    const root = new FixtureRoot()
      .process(100, { ppid: 1, ticks: [100, 50, 0, 0], rssKb: 1000, anonKb: 600, swapKb: 8, children: [101] })
      .process(101, { ppid: 100, ticks: [50, 0, 0, 0], rssKb: 500, anonKb: 400 });
    roots.push(root);
    const runtime = new FakeRuntime([{ sandbox: 's1', status: status('c1', 'app'), pid: 100 }, { sandbox: 's2', status: status('c2', 'nopid') }]);
    let now = 1000;
    const provider = new NodeStatsProvider({ runtime, pods: () => [pod('a', 's1'), pod('b', 's2')], machine: false, now: () => now, cacheMs: 0, procRoot: root.dir });
    const first = await provider.snapshot();
    const app = first.pods.find((p) => p.name === 'a')!.containers[0];
    assert.equal(app.cpuNanos, 200 * 1e7);
    assert.equal(app.memoryWorkingSetBytes, 1500 * 1024);
    assert.equal(app.memoryRssBytes, 1000 * 1024);
    assert.equal(app.swapBytes, 8 * 1024);
    assert.equal(first.pods.find((p) => p.name === 'a')!.network, undefined, 'the host network is not the pod’s');
    const unmeasured = first.pods.find((p) => p.name === 'b')!;
    assert.equal(unmeasured.containers[0].cpuNanos, undefined);
    assert.equal(unmeasured.cpuNanos, undefined);
    // The child ends: its cpu goes with it, but the counter does not go back.
    root.process(100, { ppid: 1, ticks: [110, 50, 0, 0], rssKb: 1000, children: [] });
    now += 10;
    const second = await provider.snapshot();
    assert.equal(second.pods.find((p) => p.name === 'a')!.containers[0].cpuNanos, 200 * 1e7);
  });

  it('reads the node from /proc and statfs', async () => {
    const root = new FixtureRoot();
    roots.push(root);
    const provider = new NodeStatsProvider({ runtime: new FakeRuntime([]), pods: () => [], machine: true, dataDir: root.dir, now: () => 5, procRoot: root.dir });
    const { node } = await provider.snapshot();
    assert.equal(node.cpuNanos, (10132153 + 290696 + 3084719 + 25195) * 1e7);
    assert.equal(node.cpuCores, 2);
    assert.equal(node.memoryWorkingSetBytes, (16314180 - 9262020) * 1024);
    assert.equal(node.memoryUsageBytes, (16314180 - 1056216) * 1024);
    assert.equal(node.memoryRssBytes, 5603864 * 1024);
    assert.equal(node.swapBytes, (2097148 - 1572860) * 1024);
    assert.equal(node.memoryCapacityBytes, 16314180 * 1024);
    assert.deepEqual(node.network?.map((i) => i.name), ['eth0', 'cni0']);
    assert.equal(node.filesystem?.device, '/dev/sda1');
    assert.equal(node.machine?.machineId, 'fixture-machine-id');
  });

  it('leaves out pods without a sandbox, without running containers, or whose listing fails', async () => {
    const runtime = new FakeRuntime([{ sandbox: 's1', status: status('c1', 'done', 'exited') }]);
    runtime.listContainers = async (id) => {
      if (id === 'broken') throw new Error('gone');
      return id === 's1' ? [status('c1', 'done', 'exited')] : [];
    };
    const provider = new NodeStatsProvider({ runtime, pods: () => [pod('a', undefined), pod('b', 's1'), pod('c', 'broken')], machine: false });
    assert.deepEqual((await provider.snapshot()).pods, []);
  });

  it('reads once per interval, and once for scrapes that come together', async () => {
    const runtime = new FakeRuntime([{ sandbox: 's1', status: status('c1', 'app'), stats: { memoryBytes: 1, cpuNanos: 1 } }]);
    let now = 0;
    const provider = new NodeStatsProvider({ runtime, pods: () => [pod('a', 's1')], machine: false, now: () => now, cacheMs: 1000 });
    const [x, y] = await Promise.all([provider.snapshot(), provider.snapshot()]);
    assert.equal(x, y);
    assert.equal(runtime.calls, 1);
    now = 999;
    await provider.snapshot();
    assert.equal(runtime.calls, 1);
    now = 1000;
    await provider.snapshot();
    assert.equal(runtime.calls, 2);
  });

  it('reads a node of 100 pods (timed for the benchmark, not asserted)', async (t) => {
    const root = new FixtureRoot();
    roots.push(root);
    const containers: FakeContainer[] = [];
    const pods: StatsPod[] = [];
    for (let i = 0; i < 100; i++) {
      const pid = 1000 + i;
      root.process(pid, { ppid: 1, ticks: [i, i, 0, 0], rssKb: 100 + i, netNamespace: `net:[${4026540000 + i}]`, netDev: netDevFixture });
      containers.push({ sandbox: `s${i}`, status: status(`c${i}`, 'app'), stats: i % 2 ? { memoryBytes: i, cpuNanos: i } : undefined, pid });
      pods.push(pod(`p${i}`, `s${i}`));
    }
    let now = 0;
    const provider = new NodeStatsProvider({ runtime: new FakeRuntime(containers), pods: () => pods, machine: true, dataDir: root.dir, now: () => now, cacheMs: 0, procRoot: root.dir });
    const begin = performance.now();
    const rounds = 20;
    for (let i = 0; i < rounds; i++) {
      now += 1;
      assert.equal((await provider.snapshot()).pods.length, 100);
    }
    t.diagnostic(`one read of 100 pods: ${((performance.now() - begin) / rounds).toFixed(2)} ms`);
  });
});
