import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceClient } from '../client/index.js';
import { PodWorker } from './pod-worker.js';
import { SimulatedRuntime } from './runtime/simulated/runtime.js';
import type { AgentPod } from './types.js';

test('a pod delivered late (older than our last write) does not make the worker write its status again', async () => {
  const writes: unknown[] = [];
  const pods = {
    patch: async (_namespace: string, _name: string, body: { status: unknown }) => {
      writes.push(body.status);
      return {};
    },
  } as unknown as ResourceClient<AgentPod>;
  let now = new Date('2026-12-01T10:00:00Z');
  const pod: AgentPod = { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'busybox' }] } };
  const worker = new PodWorker(pod, {
    runtime: new SimulatedRuntime(),
    envSources: { configMap: async () => undefined, secret: async () => undefined, services: async () => [] },
    pods,
    hostIP: '192.0.2.1',
    now: () => now,
    log: () => {},
  });
  worker.update(pod);
  await worker.idle();
  const settled = writes.length;
  assert.ok(settled >= 1);
  // A second later the watch delivers the pod as it was before our writes (no conditions yet):
  // the transition times we wrote still stand, so there is nothing new to write.
  now = new Date('2026-12-01T10:00:01Z');
  worker.update(structuredClone(pod));
  await worker.idle();
  assert.equal(writes.length, settled);
  await worker.halt();
});
