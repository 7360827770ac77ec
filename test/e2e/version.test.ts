/** kubectl version reports the server as Kubernetes v1.32. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

describe('kubectl version', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('shows client and server v1.32 and no version skew warning', async () => {
    const { stdout, stderr } = await cluster.kubectl(['version']);
    assert.match(stdout, /^Client Version: v1\.32\.\d+$/m);
    assert.match(stdout, /^Server Version: v1\.32\.\d+(\+\S+)?$/m);
    assert.doesNotMatch(stdout + stderr, /WARNING/);
  });

  test('-o json has the server major and minor', async () => {
    const version = JSON.parse((await cluster.kubectl(['version', '-o', 'json'])).stdout);
    assert.equal(version.serverVersion.major, '1');
    assert.equal(version.serverVersion.minor, '32');
    assert.match(version.serverVersion.gitVersion, /^v1\.32\./);
  });

  test('the server answers cluster-info with its URL', async () => {
    const { stdout } = await cluster.kubectl(['cluster-info']);
    assert.match(stdout, new RegExp(`Kubernetes control plane\\S* is running at \\S*https://127\\.0\\.0\\.1:${cluster.port}`));
  });
});
