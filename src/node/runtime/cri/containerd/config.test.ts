import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderContainerdConfig, type ContainerdConfigOptions } from './config.js';
import { containerdPaths } from './paths.js';
import { readTomlSubset, tomlAt } from './toml-testing.js';

const paths = containerdPaths('/var/lib/skiff', { isRoot: true });
const base: ContainerdConfigOptions = {
  paths,
  sandboxImage: 'skiff.local/pause:3.10',
  snapshotter: 'overlayfs',
  cgroupDriver: 'cgroupfs',
  cniBinDir: '/usr/lib/cni',
  runcPath: '/usr/sbin/runc',
  apparmorEnabled: false,
  mayLowerOomScoreAdj: true,
};
const CRI = ['plugins', 'io.containerd.grpc.v1.cri'];

test('containerd gets its own root, state and socket, and nothing listening on TCP', () => {
  const config = readTomlSubset(renderContainerdConfig(base));
  assert.equal(config.version, 2);
  assert.equal(config.root, '/var/lib/skiff/containerd/root');
  assert.equal(config.state, paths.state);
  assert.equal(tomlAt(config, 'grpc', 'address'), paths.socket);
  assert.equal(tomlAt(config, 'grpc', 'tcp_address'), '');
  assert.equal(tomlAt(config, 'debug', 'address'), '');
  assert.equal(tomlAt(config, 'metrics', 'address'), '');
  assert.equal(tomlAt(config, ...CRI, 'disable_tcp_service'), true);
  assert.equal(tomlAt(config, ...CRI, 'stream_server_address'), '127.0.0.1');
  assert.equal(tomlAt(config, 'plugins', 'io.containerd.internal.v1.opt', 'path'), '/var/lib/skiff/containerd/opt');
});

test("the CRI plugin: the local pause image, runc, skiff's CNI network and hosts directory", () => {
  const config = readTomlSubset(renderContainerdConfig(base));
  assert.equal(tomlAt(config, ...CRI, 'sandbox_image'), 'skiff.local/pause:3.10');
  assert.equal(tomlAt(config, ...CRI, 'enable_selinux'), false);
  assert.equal(tomlAt(config, ...CRI, 'disable_apparmor'), true);
  assert.equal(tomlAt(config, ...CRI, 'restrict_oom_score_adj'), false);
  assert.deepEqual(tomlAt(config, ...CRI, 'containerd'), {
    snapshotter: 'overlayfs',
    default_runtime_name: 'runc',
    disable_snapshot_annotations: true,
    runtimes: { runc: { runtime_type: 'io.containerd.runc.v2', options: { SystemdCgroup: false, BinaryName: '/usr/sbin/runc', Root: `${paths.state}/runc` } } },
  });
  assert.deepEqual(tomlAt(config, ...CRI, 'cni'), { bin_dir: '/usr/lib/cni', conf_dir: '/var/lib/skiff/containerd/cni/net.d', max_conf_num: 1 });
  assert.deepEqual(tomlAt(config, ...CRI, 'registry'), { config_path: '/var/lib/skiff/containerd/certs.d' });
});

test('each machine fact changes its one setting', () => {
  const config = readTomlSubset(renderContainerdConfig({ ...base, snapshotter: 'native', cgroupDriver: 'systemd', apparmorEnabled: true, mayLowerOomScoreAdj: false, runcPath: undefined }));
  assert.equal(tomlAt(config, ...CRI, 'containerd', 'snapshotter'), 'native');
  assert.deepEqual(tomlAt(config, ...CRI, 'containerd', 'runtimes', 'runc', 'options'), { SystemdCgroup: true, Root: `${paths.state}/runc` });
  assert.equal(tomlAt(config, ...CRI, 'disable_apparmor'), false);
  assert.equal(tomlAt(config, ...CRI, 'restrict_oom_score_adj'), true);
});

test('registry credentials go into the CRI plugin, keyed by host, whatever the host is called', () => {
  const text = renderContainerdConfig({ ...base, registryAuths: { 'registry:5000': { username: 'u', password: 'p"w' }, 'odd"]\n[x]': { identitytoken: 't' } } });
  const config = readTomlSubset(text);
  assert.deepEqual(tomlAt(config, ...CRI, 'registry', 'configs'), { 'registry:5000': { auth: { username: 'u', password: 'p"w' } }, 'odd"]\n[x]': { auth: { identitytoken: 't' } } });
  assert.match(text, /^\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\.configs\."registry:5000"\.auth\]$/m);
});

test('containerd itself reads the file and keeps every value', { skip: !existsSync('/usr/bin/containerd') && 'containerd is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-containerd-config-'));
  try {
    const file = join(dir, 'config.toml');
    writeFileSync(file, renderContainerdConfig({ ...base, registryAuths: { 'registry:5000': { username: 'u', password: 'p"w' } } }));
    // `config dump` parses the file and prints it merged with the defaults; it starts nothing.
    const dump = execFileSync('/usr/bin/containerd', ['--config', file, 'config', 'dump'], { encoding: 'utf8', timeout: 30_000 });
    for (const line of [
      `root = "/var/lib/skiff/containerd/root"`,
      `address = "${paths.socket}"`,
      `sandbox_image = "skiff.local/pause:3.10"`,
      `snapshotter = "overlayfs"`,
      `SystemdCgroup = false`,
      `BinaryName = "/usr/sbin/runc"`,
      `conf_dir = "/var/lib/skiff/containerd/cni/net.d"`,
      `config_path = "/var/lib/skiff/containerd/certs.d"`,
      `password = "p\\"w"`,
      `disable_apparmor = true`,
    ]) {
      assert.ok(dump.split('\n').some((dumped) => dumped.trim() === line), `containerd's dump lacks ${line}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
