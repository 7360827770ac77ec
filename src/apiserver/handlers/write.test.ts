/**
 * guaranteedUpdate against a store where other writers keep winning the
 * compare-and-swap: without a precondition the update is retried on the
 * newer object until it applies, however many writers came first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRegistry } from '../../api/index.js';
import { errors } from '../../machinery/status.js';
import type { KubeObject } from '../../machinery/object.js';
import type { RequestContext } from '../context.js';
import { guaranteedUpdate } from './write.js';

/** A ConfigMap in a store that `rivals` other writers change before each of our first swaps lands. */
function contendedContext(rivals: number) {
  const type = builtinRegistry().find('', 'v1', 'configmaps')!;
  let revision = 1;
  let stored: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'default', uid: 'u1', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' }, data: {} };
  let swaps = 0;
  const storage = {
    keyFor: (namespace: string, name: string) => `/registry/configmaps/${namespace}/${name}`,
    async get() {
      return { object: structuredClone(stored), revision };
    },
    async update(object: KubeObject, expected: number) {
      swaps++;
      if (rivals > 0) {
        // Another writer got there first: its change lands, ours is refused.
        rivals--;
        revision++;
        stored = { ...stored, metadata: { ...stored.metadata, resourceVersion: String(revision) }, data: { ...(stored.data as object), [`rival${revision}`]: 'x' } };
        throw errors.staleResourceVersion('', 'configmaps', 'shared');
      }
      assert.equal(expected, revision);
      revision++;
      stored = { ...structuredClone(object), metadata: { ...object.metadata, resourceVersion: String(revision) } };
      return { object: structuredClone(stored), revision };
    },
  };
  const ctx = {
    type,
    storage,
    url: new URL('https://skiff/api/v1/namespaces/default/configmaps/shared'),
    info: { apiPrefix: 'api', group: '', version: 'v1', namespace: 'default', resource: 'configmaps', name: 'shared', verb: 'patch' },
    server: { admission: { admit: async () => {}, validate: async () => {} }, hooksFor: () => undefined, clock: { now: () => new Date() } },
  } as unknown as RequestContext;
  return { ctx, swaps: () => swaps, stored: () => stored };
}

test('an update without a precondition outlasts any number of rival writers', async () => {
  const { ctx, swaps, stored } = contendedContext(40);
  const { object } = await guaranteedUpdate(ctx, (current) => ({ ...current, data: { ...(current.data as object), mine: 'x' } }));
  assert.equal(swaps(), 41);
  assert.equal((object.data as Record<string, string>).mine, 'x');
  // Every rival's change is kept: each round started from the newest object.
  assert.equal(Object.keys(stored().data as object).filter((k) => k.startsWith('rival')).length, 40);
});

test('a precondition is checked against the object of each round', async () => {
  const { ctx } = contendedContext(1);
  // The client read revision 1; a rival writes before our swap, so the next round sees revision 2: 409.
  await assert.rejects(
    guaranteedUpdate(ctx, (current) => ({ ...current, metadata: { ...current.metadata, resourceVersion: '1' }, data: { mine: 'x' } })),
    (err: { reason?: string }) => err.reason === 'Conflict',
  );
});

test('writes to one object from this server take turns; each still sees the other\'s result', async () => {
  const { ctx, swaps, stored } = contendedContext(0);
  const writers = Array.from({ length: 8 }, (_, i) =>
    guaranteedUpdate(ctx, (current) => ({ ...current, data: { ...(current.data as object), [`writer${i}`]: 'x' } })));
  await Promise.all(writers);
  assert.equal(swaps(), 8, 'no round was thrown away');
  assert.equal(Object.keys(stored().data as object).length, 8);
});
