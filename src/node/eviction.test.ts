import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyDirMessage, pressureMessage, rankForEviction, type EvictionCandidate } from './eviction.js';

const mi = 1024 * 1024;
const pod = (key: string, priority: number, used: number, requested: number): EvictionCandidate => ({ key, priority, usage: { c: used * mi }, requests: { c: requested * mi } });

test('pods over their requests go first, then lower priority, then the largest overuse', () => {
  const ranked = rankForEviction([pod('within', 0, 50, 100), pod('over-small', 0, 60, 50), pod('over-big', 0, 500, 100), pod('important-over', 1000, 900, 0)]);
  assert.deepEqual(
    ranked.map((c) => c.key),
    ['over-big', 'over-small', 'important-over', 'within'],
  );
});

test('messages read as upstream\'s', () => {
  assert.equal(
    pressureMessage('memory', '100Mi', 80 * mi, pod('p', 0, 500, 0)),
    'The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. Container c was using 500Mi, request is 0, has larger consumption of memory.',
  );
  assert.equal(emptyDirMessage('scratch', '1Mi'), 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
});
