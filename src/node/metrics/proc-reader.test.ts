/** ProcReader on a fixture root: the machine, a container's process tree, its network namespace and its cgroup. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixtureRoot, netDevFixture } from './proc-fixtures.js';
import { ProcReader } from './proc-reader.js';

const roots: FixtureRoot[] = [];
const fixture = (options?: { childrenFiles?: boolean }) => {
  const root = new FixtureRoot(options);
  roots.push(root);
  return root;
};
after(() => roots.forEach((r) => r.remove()));

/** A container's main process 100 with a child 101 and a grandchild 102; 200 is someone else's. */
function tree(root: FixtureRoot): FixtureRoot {
  return root
    .process(100, { ppid: 1, ticks: [100, 50, 10, 5], rssKb: 1000, anonKb: 800, swapKb: 4, children: [101] })
    .process(101, { ppid: 100, ticks: [20, 10, 0, 0], rssKb: 500, anonKb: 400, children: [102] })
    .process(102, { ppid: 101, ticks: [1, 1, 0, 0], rssKb: 100, anonKb: 50 })
    .process(200, { ppid: 1, ticks: [999, 999, 0, 0], rssKb: 9999 });
}

describe('ProcReader', () => {
  it('reads the machine', () => {
    const reader = new ProcReader(fixture().dir);
    assert.equal(reader.machineCpu()?.cores, 2);
    assert.equal(reader.meminfo()?.MemTotal, 16314180 * 1024);
    assert.deepEqual(reader.netDev('self')?.map((i) => i.name), ['lo', 'eth0', 'vethab12cd', 'cni0']);
    assert.deepEqual(reader.machineIdentity(), { machineId: 'fixture-machine-id', systemUuid: '', bootId: 'fixture-boot-id' });
  });

  for (const childrenFiles of [true, false]) {
    it(`sums a process and its descendants ${childrenFiles ? 'through task children files' : 'from a walk of /proc'}`, () => {
      const reader = new ProcReader(tree(fixture({ childrenFiles })).dir);
      reader.beginCollection();
      assert.deepEqual(reader.processTree(100), {
        cpuNanos: (100 + 50 + 10 + 5 + 20 + 10 + 1 + 1) * 1e7,
        rssBytes: 1600 * 1024,
        anonBytes: 1250 * 1024,
        swapBytes: 4 * 1024,
        processes: 3,
      });
      assert.equal(reader.processTree(4242), undefined);
    });
  }

  it('survives a process loop (a child listing its parent)', () => {
    const root = fixture()
      .process(300, { ppid: 1, ticks: [1, 0, 0, 0], children: [301] })
      .process(301, { ppid: 300, ticks: [1, 0, 0, 0], children: [300] });
    assert.equal(new ProcReader(root.dir).processTree(300)?.processes, 2);
  });

  it("tells a pod's own network namespace from the node's", () => {
    const root = fixture()
      .process(400, { ppid: 1, netNamespace: 'net:[4026532999]', netDev: netDevFixture })
      .process(401, { ppid: 1 });
    const reader = new ProcReader(root.dir);
    assert.equal(reader.hasOwnNetNamespace(400), true);
    assert.equal(reader.hasOwnNetNamespace(401), false);
    assert.equal(reader.hasOwnNetNamespace(9999), false);
    assert.equal(reader.netDev(400)?.find((i) => i.name === 'eth0')?.rxBytes, 987654321);
  });

  it("reads a container's own cgroup v2, and refuses one that is not the container's", () => {
    const root = fixture()
      .process(500, { ppid: 1, cgroup: '0::/skiff/pod-uid/c1abc\n' })
      .process(501, { ppid: 1, cgroup: '0::/user.slice/user-1000.slice/session-2.scope\n' })
      .file('sys/fs/cgroup/skiff/pod-uid/c1abc/memory.current', '10485760\n')
      .file('sys/fs/cgroup/skiff/pod-uid/c1abc/memory.stat', 'anon 6291456\nfile 4194304\ninactive_file 2097152\n')
      .file('sys/fs/cgroup/skiff/pod-uid/c1abc/memory.swap.current', '4096\n')
      .file('sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope/memory.current', '999\n');
    const reader = new ProcReader(root.dir);
    assert.deepEqual(reader.containerCgroupMemory(500, 'c1abc'), { usageBytes: 10485760, workingSetBytes: 8388608, rssBytes: 6291456, swapBytes: 4096 });
    assert.equal(reader.containerCgroupMemory(501, 'c2'), undefined);
    assert.equal(reader.containerCgroupMemory(500, ''), undefined);
  });

  it('reads a cgroup v1 memory controller', () => {
    const root = fixture()
      .process(600, { ppid: 1, cgroup: '12:memory:/skiff/u/c9\n4:cpu,cpuacct:/skiff/u/c9\n0::/\n' })
      .file('sys/fs/cgroup/memory/skiff/u/c9/memory.usage_in_bytes', '8192\n')
      .file('sys/fs/cgroup/memory/skiff/u/c9/memory.stat', 'rss 100\ntotal_rss 4096\ntotal_inactive_file 1024\ntotal_swap 0\n');
    assert.deepEqual(new ProcReader(root.dir).containerCgroupMemory(600, 'c9'), { usageBytes: 8192, workingSetBytes: 7168, rssBytes: 4096, swapBytes: 0 });
  });

  it("measures a directory's file system", () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-metrics-fs-'));
    try {
      const fs = new ProcReader(fixture().dir).filesystem(dir)!;
      assert.equal(fs.device, '/dev/sda1');
      assert.ok(fs.capacityBytes > 0 && fs.usedBytes >= 0 && fs.availableBytes <= fs.capacityBytes);
      assert.equal(new ProcReader(fixture().dir).filesystem(join(dir, 'missing')), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads this machine and this process (Linux)', { skip: process.platform === 'linux' ? false : 'Linux only' }, () => {
    const reader = new ProcReader();
    reader.beginCollection();
    assert.ok(reader.machineCpu()!.busyNanos > 0);
    assert.ok(reader.meminfo()!.MemAvailable! > 0);
    const own = reader.processTree(process.pid)!;
    assert.ok(own.cpuNanos > 0 && own.rssBytes > 0 && own.processes >= 1);
    assert.equal(reader.hasOwnNetNamespace(process.pid), false);
  });
});
