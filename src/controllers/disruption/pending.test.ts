import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pendingDisruptions } from './controller.js';
import type { Pod } from '../util/pods.js';

const now = new Date('2026-01-01T00:10:00Z');
const pod = (name: string, deleting = false): Pod => ({ metadata: { name, namespace: 'ns', ...(deleting ? { deletionTimestamp: '2026-01-01T00:09:59Z' } : {}) } }) as Pod;

test('pendingDisruptions keeps only evictions still under way, and says when the oldest expires', () => {
  const cases: { name: string; recorded: Record<string, string>; pods: Pod[]; kept: string[]; recheckAt?: string }[] = [
    { name: 'nothing recorded', recorded: {}, pods: [pod('a')], kept: [] },
    { name: 'a fresh eviction of a running pod is kept', recorded: { a: '2026-01-01T00:09:30Z' }, pods: [pod('a')], kept: ['a'], recheckAt: '2026-01-01T00:11:30Z' },
    { name: 'a pod already terminating has been evicted', recorded: { a: '2026-01-01T00:09:30Z' }, pods: [pod('a', true)], kept: [] },
    { name: 'a pod that is gone has been evicted', recorded: { a: '2026-01-01T00:09:30Z' }, pods: [], kept: [] },
    { name: 'an entry older than two minutes expired', recorded: { a: '2026-01-01T00:07:59Z' }, pods: [pod('a')], kept: [] },
    {
      name: 'the earliest expiry of several',
      recorded: { a: '2026-01-01T00:09:00Z', b: '2026-01-01T00:08:30Z' },
      pods: [pod('a'), pod('b')],
      kept: ['a', 'b'],
      recheckAt: '2026-01-01T00:10:30Z',
    },
  ];
  for (const c of cases) {
    const { disruptedPods, recheckAtMs } = pendingDisruptions(c.recorded, c.pods, now);
    assert.deepEqual(Object.keys(disruptedPods).sort(), c.kept, c.name);
    assert.equal(recheckAtMs, c.recheckAt ? Date.parse(c.recheckAt) : undefined, c.name);
  }
});
