import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceClient, WatchEvent } from '../client/index.js';
import { SharedPodFeed } from './pod-feed.js';
import type { AgentPod } from './types.js';

/** Resolves once `condition` holds, checking at every turn of the event loop (deadline: 5 s). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('a node that stops is no longer told of its pods (the shared feed forgets it)', async () => {
  let push: ((event: WatchEvent<AgentPod>) => void) | undefined;
  const pods = {
    apiVersion: 'v1',
    ref: { kind: 'Pod' },
    listAll: async () => ({ items: [], resourceVersion: '1' }),
    watch: (_namespace: string | undefined, _options: unknown, onEvent: (event: WatchEvent<AgentPod>) => void, signal?: AbortSignal) => {
      push = onEvent;
      return { done: new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true })) };
    },
  } as unknown as ResourceClient<AgentPod>;
  const stop = new AbortController();
  const feed = new SharedPodFeed(pods, stop.signal);
  const seen: string[] = [];
  const unsubscribe = feed.subscribe('a', { add: (pod) => seen.push(pod.metadata.name!) });
  await feed.waitForSync(stop.signal);
  await until(() => push !== undefined, 'the watch');
  const pod = (name: string, rv: string): AgentPod => ({ metadata: { name, namespace: 'default', uid: name, resourceVersion: rv }, spec: { nodeName: 'a', containers: [] } });
  push!({ type: 'ADDED', object: pod('first', '2') });
  assert.deepEqual(seen, ['first']);
  unsubscribe();
  push!({ type: 'ADDED', object: pod('second', '3') });
  assert.deepEqual(seen, ['first']);
  stop.abort();
});
