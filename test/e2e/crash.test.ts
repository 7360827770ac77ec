/**
 * Acknowledged writes survive kill -9. Many creates run concurrently through
 * the API; every one answered 201 is recorded; the server is killed with
 * SIGKILL while others are in flight; after a restart every acknowledged
 * object must exist.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';
import { apiClient } from './api-client.js';

const namespace = 'crash';
const concurrency = 32;
const killAfterAcknowledged = 300;

describe('kill -9 with writes in flight', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
    await cluster.kubectl(['create', 'namespace', namespace]);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('every acknowledged create exists after restart', async () => {
    const client = apiClient(cluster.kubeconfig, { maxSockets: concurrency });
    const acknowledged: string[] = [];
    const unexpected: string[] = [];
    let next = 0;
    let inFlightAtKill = 0;
    let inFlight = 0;
    let killing: Promise<void> | undefined;

    const worker = async () => {
      while (!killing) {
        const name = `write-${String(next++).padStart(5, '0')}`;
        inFlight++;
        try {
          const response = await client.request('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name },
            data: { payload: name.repeat(20) },
          });
          if (response.status === 201) acknowledged.push(name);
          else if (!killing) unexpected.push(`${name}: ${response.status} ${response.body}`);
        } catch (err) {
          // Connections reset by the kill are expected; before it they are not.
          if (!killing) unexpected.push(`${name}: ${(err as Error).message}`);
        } finally {
          inFlight--;
        }
        if (acknowledged.length >= killAfterAcknowledged && !killing) {
          inFlightAtKill = inFlight;
          killing = cluster.kill9();
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await killing;
    client.close();
    assert.deepEqual(unexpected, []);
    assert.ok(inFlightAtKill > 0, 'the kill should happen with requests in flight');

    await cluster.restart();

    const after = apiClient(cluster.kubeconfig);
    try {
      const response = await after.request('GET', `/api/v1/namespaces/${namespace}/configmaps`);
      assert.equal(response.status, 200, response.body);
      const stored = new Set((JSON.parse(response.body).items as { metadata: { name: string } }[]).map((item) => item.metadata.name));
      const lost = acknowledged.filter((name) => !stored.has(name));
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged creates were lost`);
      // Nothing half-written: every stored object reads back whole.
      const sample = await after.request('GET', `/api/v1/namespaces/${namespace}/configmaps/${acknowledged[acknowledged.length - 1]}`);
      assert.equal(sample.status, 200);
      assert.equal(JSON.parse(sample.body).data.payload, acknowledged[acknowledged.length - 1].repeat(20));
    } finally {
      after.close();
    }

    // The cluster keeps working after the crash.
    assert.equal((await cluster.kubectl(['-n', namespace, 'create', 'configmap', 'after-crash'])).stdout, 'configmap/after-crash created\n');
  });
});
