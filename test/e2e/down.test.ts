/**
 * `skiff down` and `skiff reset`, driven as a user would:
 * - on a running cluster: down stops it (and `skiff status` says so), the
 *   data stays, `skiff up` continues it; reset asks (or wants --yes),
 *   deletes only a data dir, and leaves nothing;
 * - as root, after a `kill -9` left an isolated pod running: down ends the
 *   pod's processes and removes its mounts, the node's bridge and nftables
 *   tables (checked from /proc, `ip` and `nft`), a second down finds
 *   nothing, and `skiff up` brings the pod back from the API.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canIsolate } from '../../src/node/runtime/process/host.js';
import { holdNetworkTestLock, hostDeployment, runSkiff, startCluster, waitFor } from './harness.js';

const root = typeof process.getuid === 'function' && process.getuid() === 0;

/** PIDs of live processes with this comm (zombies not counted). */
function processesNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name && !stat.split(') ')[1]?.startsWith('Z');
      } catch {
        return false;
      }
    })
    .map(Number);
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point) => point?.startsWith(`${dir}/`));
}

describe('skiff down and skiff reset', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test('down stops a running cluster and keeps its data; up continues it; reset asks, wants --yes without a terminal, and deletes only a data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-down-'));
    dirs.push(dataDir);
    const cluster = await startCluster({ dataDir, args: ['--runtime', 'simulated'] });
    try {
      await cluster.kubectl(['create', 'configmap', 'kept', '--from-literal=a=b']);
      const pid = cluster.pid!;
      if (root) {
        // Another user may neither stop it nor remove anything of it, nor read it, and is told whom to ask.
        for (const command of ['down', 'reset']) {
          const other = await runSkiff([command, '--yes', '--data-dir', dataDir].filter((arg) => command === 'reset' || arg !== '--yes'), 20_000, { uid: 65534, gid: 65534 });
          assert.equal(other.code, 1, other.stdout);
          assert.equal(other.stderr, `skiff: ${dataDir} belongs to root: run skiff ${command} as root (sudo)\n`);
        }
        for (const command of [['status'], ['kubectl', 'get', 'pods']]) {
          const other = await runSkiff([command[0], '--data-dir', dataDir, ...command.slice(1)], 20_000, { uid: 65534, gid: 65534 });
          assert.equal(other.code, 1, other.stdout);
          assert.equal(other.stderr, `skiff: ${dataDir} belongs to root, and this user may not read it: run skiff ${command[0]} as root (sudo)\n`);
        }
        assert.ok(existsSync(join(dataDir, 'kubeconfig.yaml')) && cluster.pid === pid, 'still there, still running');
      }
      const stopped = await runSkiff(['down', '--data-dir', dataDir], 120_000);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, new RegExp(`^stopped skiff \\(PID ${pid}\\)$`, 'm'));
      assert.match(stopped.stdout, /the cluster's data stays in .*: skiff up continues it/);
      const status = await runSkiff(['status', '--data-dir', dataDir]);
      assert.equal(status.code, 1);
      assert.match(status.stdout, /not running here/);
      assert.equal((await runSkiff(['down', '--data-dir', dataDir])).stdout, `nothing to stop or remove for ${dataDir}\nthe cluster's data stays in ${dataDir}: skiff up continues it\n`);
      await cluster.restart();
      assert.equal((await cluster.kubectl(['get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}'])).stdout, 'b');
    } finally {
      await runSkiff(['down', '--data-dir', dataDir], 120_000);
    }

    // reset: not without a terminal unless --yes; never a directory that is no data dir.
    const refused = await runSkiff(['reset', '--data-dir', dataDir]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /pass --yes/);
    assert.ok(existsSync(join(dataDir, 'kubeconfig.yaml')));
    const notOurs = mkdtempSync(join(tmpdir(), 'skiff-not-a-data-dir-'));
    dirs.push(notOurs);
    writeFileSync(join(notOurs, 'precious.txt'), 'keep me');
    const spared = await runSkiff(['reset', '--yes', '--data-dir', notOurs]);
    assert.equal(spared.code, 2);
    assert.match(spared.stderr, /does not look like a skiff data dir/);
    assert.ok(existsSync(join(notOurs, 'precious.txt')));
    const reset = await runSkiff(['reset', '--yes', '--data-dir', dataDir]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, new RegExp(`deleted ${dataDir}`));
    assert.equal(existsSync(dataDir), false);
  });

  test(
    'after a kill -9, down ends the pods left running and removes their mounts, the bridge and the nftables tables; up brings the pods back',
    { skip: !root || !canIsolate() ? 'needs root and a machine that allows namespaces (isolated pods)' : spawnSync('nft', ['--version']).error ? 'needs nft (Debian nftables)' : false },
    async () => {
      const release = await holdNetworkTestLock();
      const dataDir = mkdtempSync(join(tmpdir(), 'skiff-down-root-'));
      dirs.push(dataDir);
      try {
        const cluster = await startCluster({ dataDir, args: ['--runtime', 'process', '--pod-cidr', '10.42.86.0/24', '--ingress-http-port', '0', '--ingress-https-port', '0'] });
        const before = new Set(processesNamed('skiff-pod'));
        await cluster.kubectl(['apply', '-f', '-'], { input: hostDeployment('left', ['sleep', '3600']) });
        await cluster.kubectl(['rollout', 'status', 'deployment/left', '--timeout=60s']);
        const shims = processesNamed('skiff-pod').filter((pid) => !before.has(pid));
        assert.equal(shims.length, 1, 'one pod shim of this cluster');
        const network = JSON.parse(readFileSync(join(dataDir, 'node-network.json'), 'utf8')) as { bridge: string; nftTables: string[] };
        assert.equal(spawnSync('ip', ['link', 'show', network.bridge]).status, 0);
        mkdirSync(join(dataDir, 'leftover-mount'));
        // A mount below the data dir, as a pod volume's tmpfs is.
        assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', join(dataDir, 'leftover-mount')]).status, 0);

        await cluster.kill9();
        assert.ok(processesNamed('skiff-pod').includes(shims[0]), 'the pod outlived skiff');

        const down = await runSkiff(['down', '--data-dir', dataDir], 120_000);
        assert.equal(down.code, 0, down.stderr);
        assert.match(down.stdout, /^ended 1 pod of the process runtime$/m);
        assert.match(down.stdout, /^unmounted \d+ mounts?/m);
        assert.match(down.stdout, new RegExp(`^removed bridge ${network.bridge}$`, 'm'));
        assert.match(down.stdout, new RegExp(`^removed nftables tables ${network.nftTables.join(', ')}$`, 'm'));
        assert.equal(processesNamed('skiff-pod').includes(shims[0]), false, 'the pod shim is gone');
        assert.deepEqual(mountsUnder(dataDir), []);
        assert.notEqual(spawnSync('ip', ['link', 'show', network.bridge]).status, 0, 'no bridge');
        for (const table of network.nftTables) assert.notEqual(spawnSync('nft', ['list', 'table', 'ip', table]).status, 0, `no nft table ${table}`);
        assert.equal(spawnSync('ip', ['route', 'show', '10.42.86.0/24']).stdout.toString().trim(), '', 'no route to the pod range');
        assert.match((await runSkiff(['down', '--data-dir', dataDir])).stdout, /^nothing to stop or remove/);

        // The pods come back from the API.
        await cluster.restart();
        // (Its status may still say Running from before: a new pod shim is what shows it runs again.)
        await waitFor(async () => processesNamed('skiff-pod').filter((pid) => !before.has(pid)).length === 1, { message: 'the pod running again', timeoutMs: 60_000 });
        await waitFor(async () => (await cluster.kubectl(['get', 'pods', '-l', 'app=left', '-o', 'jsonpath={.items[*].status.phase}'])).stdout === 'Running', { message: 'the pod Running' });
        await cluster.stop();
      } finally {
        await runSkiff(['down', '--data-dir', dataDir], 120_000);
        release();
      }
    },
  );
});
