import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makeNodeInfo, makePod, newState } from '../testing.js';
import { nodeResourcesFit, resourceScorer } from './node-resources-fit.js';
import { PodInfo } from '../framework/node-info.js';

test('Filter: requests must fit what is left; every shortage is a reason; pod count counts', () => {
  const plugin = nodeResourcesFit();
  const node = makeNodeInfo(makeNode('n', { cpu: '2', memory: '1Gi', pods: '2', extra: { 'example.com/gpu': '1' } }), [makePod('a', {}, { cpu: '1500m' })]);
  const fits = makePod('fits', {}, { cpu: '500m', memory: '512Mi' });
  const state = newState();
  plugin.preFilter(state, fits, []);
  assert.equal(plugin.filter(state, fits, node), undefined);
  const greedy = makePod('greedy', {}, { cpu: '1', memory: '2Gi', 'example.com/gpu': '2' });
  const s2 = newState();
  plugin.preFilter(s2, greedy, []);
  assert.deepEqual(plugin.filter(s2, greedy, node)?.reasons, ['Insufficient cpu', 'Insufficient memory', 'Insufficient example.com/gpu']);
  const full = makeNodeInfo(makeNode('full', { pods: '1' }), [makePod('x')]);
  assert.deepEqual(plugin.filter(newState(), fits, full)?.reasons, ['Too many pods']);
  assert.equal(nodeResourcesFit({ ignoredResources: ['example.com/gpu'] }).filter(newState(), makePod('g', {}, { 'example.com/gpu': '5' }), node), undefined);
});

test('Score: LeastAllocated prefers room, MostAllocated fullness, shapes interpolate; no request counts as 100m/200Mi', () => {
  const empty = makeNodeInfo(makeNode('empty', { cpu: '4', memory: '4Gi' }));
  const busy = makeNodeInfo(makeNode('busy', { cpu: '4', memory: '4Gi' }), [makePod('b', {}, { cpu: '3', memory: '3Gi' })]);
  const pod = new PodInfo(makePod('p', {}, { cpu: '1', memory: '1Gi' }));
  const least = resourceScorer({ type: 'LeastAllocated' });
  assert.equal(least(pod, empty), 75);
  assert.equal(least(pod, busy), 0);
  const most = resourceScorer({ type: 'MostAllocated' });
  assert.equal(most(pod, empty), 25);
  assert.equal(most(pod, busy), 100);
  const ratio = resourceScorer({ type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }] } });
  assert.equal(ratio(pod, empty), 75);
  // Without requests: 100m of 4 cores and 200Mi of 4Gi are counted.
  const bare = new PodInfo(makePod('bare'));
  assert.equal(least(bare, empty), Math.trunc((Math.trunc(((4000 - 100) * 100) / 4000) + Math.trunc(((4 * 1024 - 200) * 100) / (4 * 1024))) / 2));
});
