/**
 * `kubectl debug --target` on isolated pods (as root): each container has
 * its own PID namespace, and an ephemeral container with a target joins
 * the target's — it sees the target's processes, its PID 1 is the
 * target's init — while one without a target is the init of its own.
 * The pod asks for runtimeClassName: host: these tests run commands on the node's file system (no image is pulled).
 * Takes the network test lock (run it under `flock /tmp/skiff-net-e2e.lock`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { holdNetworkTestLock, startCluster, waitFor, type Cluster } from './harness.js';
import { canIsolate } from '../../src/node/runtime/process/runtime.js';

const isolated = canIsolate();

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: target
spec:
  runtimeClassName: host
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
`;

// What PID 1 of the container's PID namespace runs (the container's command).
const showInit = ['sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo'];

describe('kubectl debug --target on isolated pods (as root)', { skip: isolated ? false : 'needs root and a machine that allows namespaces' }, () => {
  let cluster: Cluster;
  let releaseLock = () => {};
  before(async () => {
    releaseLock = await holdNetworkTestLock();
    cluster = await startCluster({ args: ['--runtime', 'process', '--pod-cidr', '10.42.84.0/24', '--ingress-http-port', '0', '--ingress-https-port', '0'] });
    await cluster.kubectl(['apply', '-f', '-'], { input: pod });
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/target', '--timeout=60s']);
  });
  after(async () => {
    await cluster?.stop();
    releaseLock();
  });

  const finishedLogs = async (container: string): Promise<string> => {
    await waitFor(async () => {
      const out = (await cluster.kubectl(['get', 'pod', 'target', '-o', `jsonpath={.status.ephemeralContainerStatuses[?(@.name=="${container}")].state.terminated.exitCode}`])).stdout;
      return out === '0';
    }, { message: `${container} to finish`, timeoutMs: 30_000 });
    return (await cluster.kubectl(['logs', 'pod/target', '-c', container])).stdout;
  };

  test('with --target the debug container sees the target\'s processes; without, its own', async () => {
    await cluster.kubectl(['debug', 'pod/target', '--image=busybox', '--target=app', '--container=shared', '--', ...showInit]);
    assert.match(await finishedLogs('shared'), /^sleep 3600 $/m, "PID 1 is the target's command");

    await cluster.kubectl(['debug', 'pod/target', '--image=busybox', '--container=alone', '--', ...showInit]);
    const alone = await finishedLogs('alone');
    assert.doesNotMatch(alone, /sleep 3600/);
    assert.match(alone, /^sh -c tr/m, 'PID 1 is its own command');
  });
});
