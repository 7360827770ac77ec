/**
 * Cgroups as root on cgroup v1 (skipped elsewhere): a removed container's
 * memory cgroup gives its page cache back first, so the kernel does not keep
 * it, dying, for as long as those pages stay cached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerCgroup, detectCgroups, releaseV1Memory } from './cgroups.js';

const version = detectCgroups();

test('a memory cgroup gives back the page cache its processes left before it is removed (v1)', { skip: version !== 'v1' && 'needs root on cgroup v1' }, () => {
  const cgroup = new ContainerCgroup('v1', `skiff/test-${process.pid}/release`);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cgroup-'));
  const memory = join('/sys/fs/cgroup/memory', cgroup.path);
  try {
    cgroup.create({});
    // A process of the cgroup writes 8 MiB and ends: the pages stay cached, charged to the cgroup.
    const procs = join(memory, 'cgroup.procs');
    const wrote = spawnSync('sh', ['-c', `echo $$ > ${procs} && dd if=/dev/zero of=${join(dir, 'data')} bs=1M count=8 status=none`]);
    assert.equal(wrote.status, 0, wrote.stderr.toString());
    const usage = () => Number(readFileSync(join(memory, 'memory.usage_in_bytes'), 'utf8'));
    assert.ok(usage() >= 8 * 1024 * 1024, `the cgroup is charged for the cached file (${usage()} bytes)`);
    releaseV1Memory(memory);
    assert.ok(usage() < 1024 * 1024, `nothing much is charged any more (${usage()} bytes)`);
    cgroup.remove();
    assert.equal(existsSync(memory), false);
  } finally {
    cgroup.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});
