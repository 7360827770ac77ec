/**
 * A graceful stop is prompt even while the controllers are busy: SIGTERM in
 * the middle of creating hundreds of pods stops the controllers, closes
 * their connections and exits 0 (the harness fails the test if skiff is
 * still running 15 s after SIGTERM). Regression test: queued keys, event
 * writes and request retries once kept the process alive for minutes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor } from './harness.js';

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
