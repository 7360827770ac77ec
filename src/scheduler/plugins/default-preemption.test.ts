import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makeNodeInfo, makePod, newState } from '../testing.js';
import { defaultPreemption } from './default-preemption.js';
import { nodeResourcesFit } from './node-resources-fit.js';
import type { Handle, NodeStatusMap } from '../framework/interface.js';
import { unschedulable } from '../framework/status.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { Pod } from '../types.js';

function setup(nodes: NodeInfo[], budgets: object[] = []) {
  const deleted: string[] = [];
  const fit = nodeResourcesFit();
  const list = (items: object[]) => ({ get: () => undefined, list: () => items as never[] });
  const handle = {
    snapshot: { list: () => nodes, get: (name: string) => nodes.find((n) => n.name === name) },
    runFilterPlugins: (state: never, pod: Pod, nodeInfo: NodeInfo) => fit.filter(state, pod, nodeInfo) ?? { isSuccess: () => true },
    runPreFilterExtensionAddPod: () => undefined,
    runPreFilterExtensionRemovePod: () => undefined,
    workloads: { services: list([]), replicaSets: list([]), statefulSets: list([]), disruptionBudgets: list(budgets) },
    client: { resource: () => ({ patch: async () => ({}), delete: async (_ns: string, name: string) => deleted.push(name) }) },
    recorder: { event: () => {} },
    now: () => new Date(),
  } as unknown as Handle;
  return { plugin: defaultPreemption(undefined, handle), deleted };
}

const low = (name: string, app: string, priority = 0) => makePod(name, { priority }, { cpu: '1' }, { app });
const full = (status: NodeStatusMap, ...names: string[]) => names.forEach((n) => status.set(n, unschedulable('Insufficient cpu')));

test('preemption evicts the least important pods and nominates their node', async () => {
  const nodes = [makeNodeInfo(makeNode('a', { cpu: '1' }), [low('a-pod', 'x', 10)]), makeNodeInfo(makeNode('b', { cpu: '1' }), [low('b-pod', 'x', 5)])];
  const { plugin, deleted } = setup(nodes);
  const filtered: NodeStatusMap = new Map();
  full(filtered, 'a', 'b');
  const result = await plugin.postFilter(newState(), makePod('urgent', { priority: 100 }, { cpu: '1' }), filtered);
  assert.equal(result.nominatedNodeName, 'b', 'the node whose victim has the lower priority');
  assert.deepEqual(deleted, ['b-pod']);
});

test('a pod a PodDisruptionBudget protects is spared when another node will do', async () => {
  const nodes = [makeNodeInfo(makeNode('a', { cpu: '1' }), [low('guarded', 'db')]), makeNodeInfo(makeNode('b', { cpu: '1' }), [low('free', 'web')])];
  const pdb = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0 } };
  const { plugin, deleted } = setup(nodes, [pdb]);
  const filtered: NodeStatusMap = new Map();
  full(filtered, 'a', 'b');
  const result = await plugin.postFilter(newState(), makePod('urgent', { priority: 100 }, { cpu: '1' }), filtered);
  assert.equal(result.nominatedNodeName, 'b');
  assert.deepEqual(deleted, ['free']);
});

test('no preemption for preemptionPolicy Never, nor where nothing lower runs', async () => {
  const nodes = [makeNodeInfo(makeNode('a', { cpu: '1' }), [low('peer', 'x', 100)])];
  const { plugin } = setup(nodes);
  const filtered: NodeStatusMap = new Map();
  full(filtered, 'a');
  const never = await plugin.postFilter(newState(), makePod('polite', { priority: 100, preemptionPolicy: 'Never' }, { cpu: '1' }), filtered);
  assert.equal(never.status.message(), 'preemption: not eligible due to preemptionPolicy=Never');
  const none = await plugin.postFilter(newState(), makePod('equal', { priority: 100 }, { cpu: '1' }), filtered);
  assert.equal(none.status.message(), 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod');
});
