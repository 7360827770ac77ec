/**
 * A watch survives a crash of the server: after kill -9 and a restart, a watch
 * from a resourceVersion acknowledged before the crash gets exactly the events
 * after it (from the store's history), not 410 Expired — so clients resume
 * instead of every one of them relisting.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

const namespace = 'watch-resume';

describe('watch resume after kill -9', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ args: ['--no-controllers'] });
    await cluster.kubectl(['create', 'namespace', namespace]);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a watch from a pre-crash resourceVersion resumes with the events after it', async () => {
    const created = JSON.parse((await cluster.kubectl(['create', 'configmap', 'first', '-n', namespace, '--from-literal=v=1', '-o', 'json'])).stdout);
    const acknowledged = created.metadata.resourceVersion as string;
    await cluster.kubectl(['patch', 'configmap', 'first', '-n', namespace, '--type=merge', '-p', '{"data":{"v":"2"}}']);
    await cluster.kubectl(['create', 'configmap', 'second', '-n', namespace, '--from-literal=v=1']);

    await cluster.kill9();
    await cluster.restart();

    // The server ends the watch after timeoutSeconds; kubectl --raw prints the whole stream.
    const { stdout } = await cluster.kubectl(['get', '--raw', `/api/v1/namespaces/${namespace}/configmaps?watch=1&resourceVersion=${acknowledged}&timeoutSeconds=1`]);
    const events = stdout
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as { type: string; object: { metadata: { name: string }; data?: Record<string, string>; code?: number } });
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata?.name]),
      [
        ['MODIFIED', 'first'],
        ['ADDED', 'second'],
      ],
      stdout,
    );
    assert.equal(events[0].object.data?.v, '2');
  });
});
