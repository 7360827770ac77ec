/** skiff kubectl's own parts: which kubectl, and where --data-dir ends and kubectl's arguments begin. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKubectl, splitKubectlArgs } from './kubectl.js';

test('--data-dir is ours only in front; everything after is kubectl\'s', () => {
  assert.deepEqual(splitKubectlArgs(['get', 'pods']), { kubectlArgs: ['get', 'pods'] });
  assert.deepEqual(splitKubectlArgs(['--data-dir', '/d', 'get', 'pods', '-A']), { dataDir: '/d', kubectlArgs: ['get', 'pods', '-A'] });
  assert.deepEqual(splitKubectlArgs(['--data-dir=/d', 'version']), { dataDir: '/d', kubectlArgs: ['version'] });
  assert.deepEqual(splitKubectlArgs(['get', '--data-dir', 'x']), { kubectlArgs: ['get', '--data-dir', 'x'] });
  assert.throws(() => splitKubectlArgs(['--data-dir']), /--data-dir needs a directory/);
});

test('kubectl comes from SKIFF_KUBECTL, else the PATH, else a checkout\'s extracted tools', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const onPath = join(dir, 'bin');
  mkdirSync(onPath);
  writeFileSync(join(onPath, 'kubectl'), '#!/bin/sh\n');
  chmodSync(join(onPath, 'kubectl'), 0o755);
  const tools = join(dir, 'checkout', 'node_modules', '.cache', 'skiff-tools');
  mkdirSync(tools, { recursive: true });
  writeFileSync(join(tools, 'kubectl'), '#!/bin/sh\n');
  chmodSync(join(tools, 'kubectl'), 0o755);
  const from = join(dir, 'checkout', 'dist', 'src', 'cli');
  assert.equal(findKubectl({ SKIFF_KUBECTL: '/opt/k', PATH: onPath }, from), '/opt/k');
  assert.equal(findKubectl({ PATH: `/nonexistent:${onPath}` }, from), join(onPath, 'kubectl'));
  assert.equal(findKubectl({ PATH: '/nonexistent' }, from), join(tools, 'kubectl'));
  assert.equal(findKubectl({ PATH: '/nonexistent' }, dir), undefined);
});
