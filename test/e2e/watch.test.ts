/**
 * `kubectl get -w` prints a row for each change as it happens. The stream is
 * read line by line while kubectl runs; each step waits for its own row.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

const namespace = 'watched';

describe('kubectl get -w', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
    await cluster.kubectl(['create', 'namespace', namespace]);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('--output-watch-events shows ADDED, MODIFIED and DELETED rows as they happen', async () => {
    await cluster.kubectl(['-n', namespace, 'create', 'configmap', 'before', '--from-literal=a=1']);
    const watch = cluster.kubectlStream(['-n', namespace, 'get', 'configmaps', '--watch', '--output-watch-events']);
    try {
      // The initial list comes first, as ADDED events under one header.
      await watch.stdout.waitForLine(/^EVENT\s+NAME\s+DATA\s+AGE$/);
      await watch.stdout.waitForLine(/^ADDED\s+before\s+1\s+\S+$/);

      let mark = watch.stdout.lines.length;
      await cluster.kubectl(['-n', namespace, 'create', 'configmap', 'live', '--from-literal=a=1']);
      await watch.stdout.waitForLine(/^ADDED\s+live\s+1\s+\S+$/, { from: mark, message: 'create' });

      mark = watch.stdout.lines.length;
      await cluster.kubectl(['-n', namespace, 'patch', 'configmap', 'live', '--type', 'merge', '-p', '{"data":{"b":"2"}}']);
      await watch.stdout.waitForLine(/^MODIFIED\s+live\s+2\s+\S+$/, { from: mark, message: 'patch' });

      mark = watch.stdout.lines.length;
      await cluster.kubectl(['-n', namespace, 'delete', 'configmap', 'live']);
      await watch.stdout.waitForLine(/^DELETED\s+live\s+2\s+\S+$/, { from: mark, message: 'delete' });

      assert.equal(watch.stderr.text, '');
    } finally {
      await watch.stop();
    }
  });

  test('plain -w prints the current table, then a row per change; --watch-only skips the list', async () => {
    const watch = cluster.kubectlStream(['-n', namespace, 'get', 'configmap', 'before', '-w', '-o', 'wide']);
    // -v=6: kubectl logs its watch request once the server answered it. --watch-only lists first and watches from the
    // list's resourceVersion, so a label applied before that request would be in the list, never shown as a change.
    const only = cluster.kubectlStream(['-n', namespace, 'get', 'configmaps', '--watch-only', '-l', 'stage', '-v=6']);
    try {
      await watch.stdout.waitForLine(/^NAME\s+DATA\s+AGE$/);
      await watch.stdout.waitForLine(/^before\s+1\s+\S+$/);
      await only.stderr.waitForLine(/ GET \S+\/configmaps\?labelSelector=stage&resourceVersion=\d+&watch=true 200 OK/, { message: 'the --watch-only watch started' });
      const mark = watch.stdout.lines.length;
      await cluster.kubectl(['-n', namespace, 'label', 'configmap', 'before', 'stage=one']);
      await watch.stdout.waitForLine(/^before\s+1\s+\S+$/, { from: mark, message: 'label' });
      // The label made `before` match the --watch-only selector: it arrives as a change, not as the initial list.
      await only.stdout.waitForLine(/^before\s+1\s+\S+$/, { message: 'watch-only sees the labelled object' });
    } finally {
      await Promise.all([watch.stop(), only.stop()]);
    }
  });

  test('-o json streams whole objects, one per event', async () => {
    // ConfigMaps, not Deployments: no controller touches them, so the only events are the test's own.
    await cluster.kubectl(['-n', namespace, 'create', 'configmap', 'existing', '--from-literal=a=1']);
    await cluster.kubectl(['-n', namespace, 'label', 'configmap', 'existing', 'json-watch=yes']);
    const watch = cluster.kubectlStream(['-n', namespace, 'get', 'configmaps', '--watch', '-o', 'json', '-l', 'json-watch']);
    try {
      // The first object printed is the current state: once it is out, the watch is running.
      await watch.stdout.waitForLine(/^}$/, { message: 'the existing configmap' });
      const mark = watch.stdout.lines.length;
      await cluster.kubectl(['-n', namespace, 'create', 'configmap', 'streamed', '--from-literal=a=1']);
      await cluster.kubectl(['-n', namespace, 'label', 'configmap', 'streamed', 'json-watch=yes']);
      await watch.stdout.waitForLine(/^}$/, { from: mark, message: 'the created configmap' });
      const lines = watch.stdout.lines;
      const objects = [];
      let start = 0;
      for (let i = 0; i < lines.length; i++) {
        if (lines[i] === '}') {
          objects.push(JSON.parse(lines.slice(start, i + 1).join('\n')));
          start = i + 1;
        }
      }
      assert.deepEqual(
        objects.map((o) => [o.kind, o.metadata.name]),
        [
          ['ConfigMap', 'existing'],
          ['ConfigMap', 'streamed'],
        ],
      );
    } finally {
      await watch.stop();
    }
  });
});
