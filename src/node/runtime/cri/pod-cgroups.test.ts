/** Pod cgroups: the parent's form, removal from every hierarchy, and the sweep of empty leftovers only (in a fake cgroup root). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podCgroupParent, removePodCgroup, sweepPodCgroups } from './pod-cgroups.js';

const uid = '3f1c2a4e-0000-4000-8000-000000000001';
const other = '3f1c2a4e-0000-4000-8000-000000000002';

test('a pod cgroup parent is /skiff/pod<uid>; a uid that could leave the directory is refused', () => {
  assert.equal(podCgroupParent(uid), `/skiff/pod${uid}`);
  assert.throws(() => podCgroupParent('../../x'), /not usable in a cgroup path/);
});

test('v1: removed from every hierarchy once empty; the sweep takes empty pod cgroups only, never the process runtime\'s pod-shims', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cgroups-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const hierarchy of ['memory', 'cpu', 'pids', 'systemd']) mkdirSync(join(root, hierarchy, 'skiff', `pod${uid}`), { recursive: true });
  // Still holding a container's cgroup in one hierarchy: that one stays.
  mkdirSync(join(root, 'memory', 'skiff', `pod${uid}`, 'c1'));
  removePodCgroup(uid, root);
  assert.equal(existsSync(join(root, 'cpu', 'skiff', `pod${uid}`)), false);
  assert.equal(existsSync(join(root, 'memory', 'skiff', `pod${uid}`)), true);

  mkdirSync(join(root, 'memory', 'skiff', `pod${other}`), { recursive: true });
  mkdirSync(join(root, 'memory', 'skiff', 'pod-shims'), { recursive: true });
  assert.deepEqual(sweepPodCgroups(root), [other]);
  assert.equal(existsSync(join(root, 'memory', 'skiff', 'pod-shims')), true);
  assert.equal(existsSync(join(root, 'memory', 'skiff', `pod${uid}`, 'c1')), true);
});

test('v2: one tree at the root', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cgroups-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'cgroup.controllers'));
  mkdirSync(join(root, 'skiff', `pod${uid}`), { recursive: true });
  removePodCgroup(uid, root);
  assert.equal(existsSync(join(root, 'skiff', `pod${uid}`)), false);
});
