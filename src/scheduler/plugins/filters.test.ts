import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makeNodeInfo, makePod, newState } from '../testing.js';
import { nodeAffinity } from './node-affinity.js';
import { nodeName } from './node-name.js';
import { nodePorts } from './node-ports.js';
import { nodeUnschedulable } from './node-unschedulable.js';
import { schedulingGates } from './scheduling-gates.js';
import { taintToleration } from './taint-toleration.js';
import { prioritySort } from './priority-sort.js';

test('NodeName and NodeUnschedulable', () => {
  const node = makeNodeInfo(makeNode('a', { unschedulable: true }));
  assert.equal(nodeName().filter(newState(), makePod('p', { nodeName: 'a' }), node), undefined);
  assert.deepEqual(nodeName().filter(newState(), makePod('p', { nodeName: 'b' }), node)?.reasons, ["node(s) didn't match the requested node name"]);
  assert.deepEqual(nodeUnschedulable().filter(newState(), makePod('p'), node)?.reasons, ['node(s) were unschedulable']);
  const tolerant = makePod('t', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
  assert.equal(nodeUnschedulable().filter(newState(), tolerant, node), undefined);
});

test('TaintToleration: hard taints filter, soft taints score in reverse', () => {
  const plugin = taintToleration();
  const hard = makeNodeInfo(makeNode('hard', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }));
  const soft = makeNodeInfo(makeNode('soft', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }));
  const clean = makeNodeInfo(makeNode('clean'));
  const pod = makePod('p');
  assert.deepEqual(plugin.filter(newState(), pod, hard)?.code, 'UnschedulableAndUnresolvable');
  assert.deepEqual(plugin.filter(newState(), pod, hard)?.reasons, ['node(s) had untolerated taint {k: v}']);
  assert.equal(plugin.filter(newState(), pod, soft), undefined);
  const state = newState();
  plugin.preScore(state, pod, []);
  const scores = [soft, clean].map((n) => ({ name: n.name, score: plugin.score(state, pod, n) as number }));
  plugin.normalizeScore!(state, pod, scores);
  assert.deepEqual(scores, [{ name: 'soft', score: 0 }, { name: 'clean', score: 100 }]);
});

test('NodeAffinity: selector, required terms, name pinning in PreFilter, preferred weights', () => {
  const plugin = nodeAffinity();
  const a = makeNodeInfo(makeNode('a', { labels: { zone: 'a' } }));
  const b = makeNodeInfo(makeNode('b', { labels: { zone: 'b' } }));
  assert.equal(plugin.filter(newState(), makePod('p', { nodeSelector: { zone: 'a' } }), a), undefined);
  assert.deepEqual(plugin.filter(newState(), makePod('p', { nodeSelector: { zone: 'a' } }), b)?.reasons, ["node(s) didn't match Pod's node affinity/selector"]);
  const pinned = makePod('d', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }] } } } });
  const pre = plugin.preFilter(newState(), pinned, []) as { result: { nodeNames: Set<string> } };
  assert.deepEqual([...pre.result.nodeNames], ['b']);
  const likes = makePod('l', { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } }] } } });
  const scores = [a, b].map((n) => ({ name: n.name, score: plugin.score(newState(), likes, n) as number }));
  plugin.normalizeScore!(newState(), likes, scores);
  assert.deepEqual(scores.map((s) => s.score), [0, 100]);
  assert.equal(plugin.preScore(newState(), makePod('none'), [])?.code, 'Skip');
});

test('NodePorts: the same host port conflicts, a different IP does not, 0.0.0.0 conflicts with all', () => {
  const plugin = nodePorts();
  const withPort = (name: string, hostPort: number, hostIP?: string) => makePod(name, { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort, hostIP }] }] });
  const node = makeNodeInfo(makeNode('n'), [withPort('a', 8080, '10.0.0.1')]);
  const check = (pod: ReturnType<typeof withPort>) => {
    const state = newState();
    if ((plugin.preFilter(state, pod, []) as { code?: string } | undefined)?.code === 'Skip') return 'skip';
    return plugin.filter(state, pod, node)?.code ?? 'ok';
  };
  assert.equal(check(withPort('b', 8080, '10.0.0.2')), 'ok');
  assert.equal(check(withPort('c', 8080, '10.0.0.1')), 'Unschedulable');
  assert.equal(check(withPort('d', 8080)), 'Unschedulable');
  assert.equal(check(withPort('e', 9090)), 'ok');
  assert.equal(check(makePod('f')), 'skip');
});

test('SchedulingGates and PrioritySort', () => {
  assert.equal(schedulingGates().preEnqueue(makePod('p')), undefined);
  assert.deepEqual(schedulingGates().preEnqueue(makePod('g', { schedulingGates: [{ name: 'a' }, { name: 'b' }] }))?.reasons, ['waiting for scheduling gates: [a b]']);
  const sort = prioritySort();
  const info = (priority: number, timestamp: number) => ({ pod: makePod('x', { priority }), timestamp, attempts: 0, unschedulablePlugins: new Set<string>() });
  assert.equal(sort.less(info(10, 5), info(0, 1)), true, 'priority first');
  assert.equal(sort.less(info(0, 1), info(0, 5)), true, 'then age');
});
