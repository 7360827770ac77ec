/**
 * `kubectl debug` with the real kubectl 1.32 against `skiff up --runtime
 * process`: an ephemeral container is added to a running pod through
 * pods/ephemeralcontainers, runs its command (on the host file system, as
 * every container of the process runtime does), its output is in `kubectl
 * logs -c`, its status in status.ephemeralContainerStatuses; with -i kubectl
 * attaches to it. (As root, skiff runs as `nobody` here, as in
 * process-node.test.ts: no isolation, so no lock is needed.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, type Cluster, startHostProcessCluster } from './harness.js';

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: x
spec:
  runtimeClassName: host
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
`;

describe('kubectl debug (ephemeral containers)', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startHostProcessCluster();
    await cluster.kubectl(['apply', '-f', '-'], { input: pod });
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/x', '--timeout=30s']);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kubectl debug --target adds a container that runs; logs and status show it', async () => {
    const debug = await cluster.kubectl(['debug', 'pod/x', '--image=busybox', '--target=app', '--', 'sh', '-c', 'echo hi; sleep 1']);
    const name = /Defaulting debug container name to (debugger-[a-z0-9]+)\./.exec(debug.stdout)?.[1];
    assert.ok(name, `the debug container's name in: ${debug.stdout}`);
    const spec = JSON.parse((await cluster.kubectl(['get', 'pod', 'x', '-o', 'jsonpath={.spec.ephemeralContainers}'])).stdout);
    assert.equal(spec[0].name, name);
    assert.equal(spec[0].targetContainerName, 'app');

    const statuses = await waitFor(async () => {
      const out = (await cluster.kubectl(['get', 'pod', 'x', '-o', 'jsonpath={.status.ephemeralContainerStatuses}'])).stdout;
      const parsed = out ? JSON.parse(out) : [];
      return parsed[0]?.state?.terminated ? parsed : undefined;
    }, { message: 'the debug container to finish', timeoutMs: 30_000 });
    assert.equal(statuses[0].name, name);
    assert.equal(statuses[0].state.terminated.exitCode, 0);
    assert.equal(statuses[0].state.terminated.reason, 'Completed');
    assert.equal(statuses[0].restartCount, 0);

    const logs = await cluster.kubectl(['logs', 'pod/x', '-c', name]);
    assert.equal(logs.stdout, 'hi\n');
    // The pod itself runs on, and its app container was not touched.
    assert.equal((await cluster.kubectl(['get', 'pod', 'x', '-o', 'jsonpath={.status.phase}'])).stdout, 'Running');
    assert.equal((await cluster.kubectl(['get', 'pod', 'x', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).stdout, '0');
  });

  test('kubectl debug -i attaches to the new container: stdin in, stdout out', async () => {
    const debug = await cluster.kubectl(
      ['debug', '-i', 'pod/x', '--image=busybox', '--target=app', '--container=reader', '--', 'sh', '-c', 'read line; echo "got $line"'],
      { input: 'hello\n' },
    );
    assert.match(debug.stdout, /got hello/);
    const status = await waitFor(async () => {
      const out = (await cluster.kubectl(['get', 'pod', 'x', '-o', 'jsonpath={.status.ephemeralContainerStatuses[?(@.name=="reader")].state.terminated.exitCode}'])).stdout;
      return out === '' ? undefined : out;
    }, { message: 'the reader to finish', timeoutMs: 30_000 });
    assert.equal(status, '0');
  });

  test('changing an existing ephemeral container is refused with upstream\'s message', async () => {
    const patch = JSON.stringify([{ op: 'replace', path: '/spec/ephemeralContainers/0/image', value: 'alpine' }]);
    const res = await cluster.kubectl(['patch', 'pod', 'x', '--subresource=ephemeralcontainers', '--type=json', '-p', patch], { allowFailure: true });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /existing ephemeral containers "debugger-[a-z0-9]+" may not be changed/);
  });
});
