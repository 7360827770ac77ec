/**
 * One data dir, one skiff: a second `skiff up`, `skiff server` or `skiff
 * agent` on a data dir in use exits non-zero at once, naming the PID that
 * holds it, and leaves the running cluster alone; after a kill -9 of the
 * holder, a new start on the same dir succeeds (no stale lock).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, runSkiff, startCluster, type Cluster } from './harness.js';


describe('data dir lock', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a second skiff on the same data dir exits with the holder PID; after kill -9 a restart succeeds', async () => {
    const holder = cluster.pid!;
    const port = String(await freePort());
    for (const args of [
      ['up', '--data-dir', cluster.dataDir, '--port', port, '--bind', '127.0.0.1', '--runtime', 'none'],
      ['server', '--data-dir', cluster.dataDir, '--port', port, '--bind', '127.0.0.1'],
      ['agent', '--server', `https://127.0.0.1:${cluster.port}`, '--token', 'unused', '--data-dir', cluster.dataDir, '--runtime', 'simulated'],
    ]) {
      const second = await runSkiff(args);
      assert.notEqual(second.code, 0, `skiff ${args[0]} exited ${second.code}\n${second.stdout}\n${second.stderr}`);
      assert.match(second.stderr, new RegExp(`data dir .* is in use by another skiff process \\(PID ${holder}\\)`), `skiff ${args[0]}: ${second.stderr}`);
      assert.doesNotMatch(second.stdout, /API server ready/);
    }
    // The running cluster was left alone.
    assert.equal((await cluster.kubectl(['get', 'namespace', 'default', '-o', 'name'])).stdout.trim(), 'namespace/default');

    await cluster.kubectl(['create', 'configmap', 'before-kill', '--from-literal=a=1']);
    await cluster.kill9();
    await cluster.restart();
    assert.notEqual(cluster.pid, holder);
    assert.equal((await cluster.kubectl(['get', 'configmap', 'before-kill', '-o', 'name'])).stdout.trim(), 'configmap/before-kill');
  });
});
