import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apparmorEnabled, detectCgroupDriver, detectOomScoreAdjLowering, detectSnapshotter, findCniBinDir, isInitialUserNamespace, REQUIRED_CNI_PLUGINS } from './host-facts.js';

test('the systemd cgroup driver only where systemd is PID 1 on cgroup v2', () => {
  assert.equal(detectCgroupDriver({ pid1: 'systemd', cgroupV2: true }).value, 'systemd');
  assert.deepEqual(detectCgroupDriver({ pid1: 'systemd', cgroupV2: false }), { value: 'cgroupfs', reason: 'cgroups are v1' });
  assert.deepEqual(detectCgroupDriver({ pid1: 'tini', cgroupV2: true }), { value: 'cgroupfs', reason: 'PID 1 is tini, not systemd' });
});

test('the initial user namespace maps every uid to itself', () => {
  assert.equal(isInitialUserNamespace('         0          0 4294967295\n'), true);
  assert.equal(isInitialUserNamespace('         0     100000      65536\n'), false);
  assert.equal(isInitialUserNamespace('0 0 1000\n1000 1000 1\n'), false);
});

test('an oom_score_adj below our own only in the initial user namespace with CAP_SYS_RESOURCE', () => {
  const initial = '         0          0 4294967295\n';
  // Full capabilities; then the same without bit 24 (a sandboxed VM's root).
  assert.deepEqual(detectOomScoreAdjLowering({ uidMap: initial, status: 'Name:\tx\nCapEff:\t000001ffffffffff\n' }).value, true);
  assert.deepEqual(detectOomScoreAdjLowering({ uidMap: initial, status: 'CapEff:\t000001fffeffffff\n' }), { value: false, reason: 'without CAP_SYS_RESOURCE' });
  assert.deepEqual(detectOomScoreAdjLowering({ uidMap: '0 100000 65536\n', status: 'CapEff:\t000001ffffffffff\n' }), { value: false, reason: 'in a user namespace' });
});

test("AppArmor is on when the module's flag says Y", () => {
  assert.equal(apparmorEnabled(() => 'Y\n'), true);
  assert.equal(apparmorEnabled(() => 'N\n'), false);
  assert.equal(apparmorEnabled(() => {
    throw new Error('ENOENT');
  }), false);
});

test('the CNI directory is the first that holds every plugin; otherwise what is missing, and where', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cni-bin-'));
  try {
    const partial = join(dir, 'partial');
    const full = join(dir, 'full');
    for (const [target, plugins] of [[partial, ['bridge']], [full, [...REQUIRED_CNI_PLUGINS]]] as const) {
      mkdirSync(target);
      for (const plugin of plugins) {
        writeFileSync(join(target, plugin), '#!/bin/sh\n');
        chmodSync(join(target, plugin), 0o755);
      }
    }
    assert.deepEqual(findCniBinDir([partial, full]), { dir: full });
    const missing = findCniBinDir([partial, join(dir, 'absent')]);
    assert.ok('problem' in missing && /partial lacks host-local, portmap, loopback/.test(missing.problem), JSON.stringify(missing));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('overlayfs when an overlay mounts in the root, and the trial leaves nothing behind', { skip: process.getuid?.() !== 0 && 'mounting needs root' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-overlay-check-'));
  try {
    const choice = detectSnapshotter(root);
    assert.ok(['overlayfs', 'native'].includes(choice.value), JSON.stringify(choice));
    assert.ok(choice.reason.includes(root));
    assert.deepEqual(readdirSync(root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
