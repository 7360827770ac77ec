/**
 * `skiff up` as root without --pod-cidr: the node IPAM controller gives the
 * node the first /24 of --cluster-cidr, the agent sets up its pod network
 * on it, and a pod that gets a deleted pod's IP passes its HTTP readiness
 * probe at once (the host's neighbour entry for the IP is not stale).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, holdNetworkTestLock, startCluster, waitFor, type Cluster } from './harness.js';
import { canIsolate } from '../../src/node/runtime/process/runtime.js';

const isolated = canIsolate();

describe('node pod ranges from the cluster range (as root)', { skip: isolated ? false : 'needs root and a machine that allows namespaces' }, () => {
  let cluster: Cluster;
  let releaseLock = () => {};
  before(async () => {
    releaseLock = await holdNetworkTestLock();
    // A cluster range of its own, so no other test file's bridge is this one's.
    cluster = await startCluster({ args: ['--runtime', 'process', '--cluster-cidr', '10.57.0.0/16', '--ingress-http-port', String(await freePort()), '--ingress-https-port', String(await freePort())] });
  });
  after(async () => {
    await cluster?.kubectl(['delete', 'pods', '--all', '--wait=true', '--timeout=30s'], { allowFailure: true });
    await cluster?.stop();
    releaseLock();
  });

  const server = `require('http').createServer((q, s) => s.end('ok')).listen(8080)`;
  const pod = (name: string) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        runtimeClassName: 'host',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: 'node', command: [process.execPath, '-e', server], readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1, failureThreshold: 1 } }],
      },
    });
  const podIP = async (name: string) => (await cluster.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.podIP}'])).stdout;

  test('the node gets the first /24 of --cluster-cidr, and a pod on a deleted pod\'s IP is Ready at once', async () => {
    const range = await waitFor(async () => (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].spec.podCIDR}'])).stdout, { message: 'the node\'s podCIDR' });
    assert.equal(range, '10.57.0.0/24');
    await cluster.kubectl(['apply', '-f', '-'], { input: pod('first') });
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/first', '--timeout=60s']);
    const first = await podIP('first');
    assert.match(first, /^10\.57\.0\.\d+$/);
    await cluster.kubectl(['delete', 'pod', 'first', '--wait=true', '--timeout=30s']);
    await cluster.kubectl(['apply', '-f', '-'], { input: pod('second') });
    await waitFor(async () => (await podIP('second')) !== '', { message: 'the second pod\'s IP' });
    assert.equal(await podIP('second'), first, 'the lowest free IP is the first pod\'s');
    // Before the fix the probe timed out until the host's neighbour entry went stale (8–37 s).
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/second', '--timeout=6s']);
  });
});
