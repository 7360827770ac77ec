import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceClient } from '../client/index.js';
import { PodWorker } from './pod-worker.js';
import { PodSyncQueue } from './pod-sync-queue.js';
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

/** Resolves once `condition` holds, checking at every turn of the event loop (deadline: 5 s). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('a sync whose runtime call failed is retried without any other change', async () => {
  const writes: { phase?: string }[] = [];
  const pods = {
    patch: async (_namespace: string, _name: string, body: { status: { phase?: string } }) => {
      writes.push(body.status);
      return {};
    },
  } as unknown as ResourceClient<AgentPod>;
  const runtime = new SimulatedRuntime();
  const runPodSandbox = runtime.runPodSandbox.bind(runtime);
  let failures = 1;
  runtime.runPodSandbox = async (config) => {
    if (failures-- > 0) throw new Error('failed to create the pod sandbox: netns busy');
    return runPodSandbox(config);
  };
  const logged: { msg?: string }[] = [];
  const pod: AgentPod = { metadata: { name: 'p', namespace: 'default', uid: 'u2' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'busybox' }] } };
  const worker = new PodWorker(pod, {
    runtime,
    envSources: { configMap: async () => undefined, secret: async () => undefined, services: async () => [] },
    pods,
    hostIP: '192.0.2.1',
    now: () => new Date(),
    log: (event) => logged.push(event),
    syncs: new PodSyncQueue({ resyncMs: 0, backoff: { baseDelayMs: 1 }, log: (event) => logged.push(event) }),
  });
  worker.update(pod); // the only change the worker is told of
  await until(() => writes.some((status) => status.phase === 'Running'), 'the pod running after a retry');
  assert.ok(logged.some((event) => event.msg === 'pod sync failed'));
  await worker.halt();
});

test('a teardown that failed is retried until the sandbox is gone', async () => {
  const pods = { patch: async () => ({}) } as unknown as ResourceClient<AgentPod>;
  const runtime = new SimulatedRuntime();
  const removePodSandbox = runtime.removePodSandbox.bind(runtime);
  let failures = 1;
  runtime.removePodSandbox = async (id) => {
    if (failures-- > 0) throw new Error('device or resource busy');
    return removePodSandbox(id);
  };
  const syncs = new PodSyncQueue({ resyncMs: 0, backoff: { baseDelayMs: 1 } });
  const pod: AgentPod = { metadata: { name: 'q', namespace: 'default', uid: 'u3' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'busybox' }] } };
  const worker = new PodWorker(pod, {
    runtime,
    envSources: { configMap: async () => undefined, secret: async () => undefined, services: async () => [] },
    pods,
    hostIP: '192.0.2.1',
    now: () => new Date(),
    log: () => {},
    syncs,
  });
  worker.update(pod);
  await worker.idle();
  assert.equal((await runtime.listPodSandboxes()).length, 1);
  await worker.remove(); // the first teardown fails
  await until(() => worker.stopped, 'the teardown retried');
  assert.equal((await runtime.listPodSandboxes()).length, 0);
  syncs.shutDown();
});

test('the final status of a pod that ended is written even when the first write fails', async () => {
  const writes: { phase?: string }[] = [];
  let failures = 1;
  const pods = {
    patch: async (_namespace: string, _name: string, body: { status: { phase?: string } }) => {
      if (body.status.phase === 'Succeeded' && failures-- > 0) throw new Error('the server is currently unable to handle the request');
      writes.push(body.status);
      return {};
    },
  } as unknown as ResourceClient<AgentPod>;
  // Containers end at once; the resync notices (a standalone worker hears of no container events).
  const syncs = new PodSyncQueue({ resyncMs: 1, backoff: { baseDelayMs: 1 } });
  const pod: AgentPod = { metadata: { name: 'job', namespace: 'default', uid: 'u4' }, spec: { nodeName: 'n', restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } };
  const worker = new PodWorker(pod, {
    runtime: new SimulatedRuntime({ completeAfterMs: 1 }),
    envSources: { configMap: async () => undefined, secret: async () => undefined, services: async () => [] },
    pods,
    hostIP: '192.0.2.1',
    now: () => new Date(),
    log: () => {},
    syncs,
  });
  worker.update(pod);
  await until(() => writes.some((status) => status.phase === 'Succeeded'), 'the final status written after a failure');
  assert.ok(failures <= 0, 'the first final write failed');
  await worker.halt();
  syncs.shutDown();
});
