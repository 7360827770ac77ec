/**
 * SPDY/3.1, as kubectl ≤ 1.29 (exec, attach, cp) and ≤ 1.30 (port-forward)
 * and every client-go tool speak it: the pinned kubectl 1.32, told to fall
 * back from WebSocket, execs, copies, attaches and port-forwards against
 * pods that really run (the process runtime; as `nobody` when the tests run
 * as root, so no network lock is needed).
 */
import { after, before, describe, test } from 'node:test';
import { type Cluster, startHostProcessCluster } from './harness.js';
import { exerciseStreaming, spdyOnly } from './streaming.js';

describe('exec, cp, attach and port-forward over SPDY/3.1', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startHostProcessCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kubectl 1.32 with its WebSocket clients turned off', async () => {
    await exerciseStreaming(cluster, 'spdy', { env: spdyOnly });
  });

  test('the same kubectl over WebSocket (its default)', async () => {
    await exerciseStreaming(cluster, 'websocket');
  });
});
