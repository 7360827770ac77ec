/**
 * A graceful stop is prompt even while the controllers are busy: SIGTERM in
 * the middle of creating hundreds of pods stops the controllers, closes
 * their connections and exits 0 (the harness fails the test if skiff is
 * still running 15 s after SIGTERM). Regression test: queued keys, event
 * writes and request retries once kept the process alive for minutes.
 *
 * And while the node is still starting: a component that finished starting
 * after the stop signal (the cluster DNS, the service proxy) used to add its
 * stop listener to an already-aborted signal, which never fires — the
 * process then never exited (machinery/abort.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canIsolate } from '../../src/node/runtime/process/host.js';
import { holdNetworkTestLock, startCluster, waitFor } from './harness.js';

const root = typeof process.getuid === 'function' && process.getuid() === 0;

test('SIGTERM while the controllers create 500 pods exits cleanly', async () => {
  const cluster = await startCluster();
  try {
    await cluster.kubectl(['create', 'deployment', 'busy', '--image=busybox', '--replicas=500']);
    // Stop as soon as the first pods exist, with most of the work still queued.
    await waitFor(async () => (await cluster.kubectl(['get', 'pods', '-l', 'app=busy', '-o', 'name'])).stdout.trim() !== '', { message: 'the first pods' });
  } finally {
    assert.equal(await cluster.stop(), 0);
  }
});

test('SIGTERM while the node network is starting exits cleanly', { skip: !root || !canIsolate() ? 'needs root (the node network with nftables and the cluster DNS)' : false }, async () => {
  const releaseLock = await holdNetworkTestLock();
  try {
    const cluster = await startCluster({ args: ['--runtime', 'process', '--pod-cidr', '10.42.86.0/24', '--ingress-http-port', '0', '--ingress-https-port', '0'] });
    try {
      // The proxy has begun; the policies, DNS and node registration are still to come.
      await waitFor(() => /"msg":"service proxy: nftables/.test(cluster.output()) || undefined, { message: 'the service proxy starting', intervalMs: 10 });
    } finally {
      assert.equal(await cluster.stop(), 0);
    }
  } finally {
    releaseLock();
  }
});
