import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makeNodeInfo, makePod, newState } from '../testing.js';
import { balancedAllocation } from './balanced-allocation.js';
import { defaultNormalizeScore } from './helpers.js';
import { imageLocality } from './image-locality.js';
import type { Handle } from '../framework/interface.js';

test('BalancedAllocation: equal CPU and memory fractions score 100, lopsided ones less', () => {
  const plugin = balancedAllocation();
  const node = makeNodeInfo(makeNode('n', { cpu: '4', memory: '4Gi' }));
  const even = makePod('even', {}, { cpu: '2', memory: '2Gi' });
  const lopsided = makePod('lop', {}, { cpu: '4', memory: '0' });
  const state = newState();
  plugin.preScore(state, even, []);
  assert.equal(plugin.score(state, even, node), 100);
  const s2 = newState();
  plugin.preScore(s2, lopsided, []);
  assert.equal(plugin.score(s2, lopsided, node), 50);
});

test('ImageLocality: nodes with big images of the pod score higher', () => {
  const big = 500 * 1024 * 1024;
  const withImage = makeNodeInfo(makeNode('with', { images: [{ names: ['docker.io/library/nginx:latest', 'nginx:latest'], sizeBytes: big }] }));
  const without = makeNodeInfo(makeNode('without'));
  const handle = { snapshot: { list: () => [withImage, without] } } as unknown as Handle;
  const plugin = imageLocality(undefined, handle);
  const pod = makePod('p');
  const state = newState();
  plugin.preScore(state, pod, []);
  assert.ok((plugin.score(state, pod, withImage) as number) > 0);
  assert.equal(plugin.score(state, pod, without), 0);
});

test('defaultNormalizeScore scales to 100 and reverses counts', () => {
  const scores = [{ name: 'a', score: 2 }, { name: 'b', score: 4 }, { name: 'c', score: 0 }];
  defaultNormalizeScore(scores, false);
  assert.deepEqual(scores.map((s) => s.score), [50, 100, 0]);
  const counts = [{ name: 'a', score: 0 }, { name: 'b', score: 0 }];
  defaultNormalizeScore(counts, true);
  assert.deepEqual(counts.map((s) => s.score), [100, 100]);
});
