import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makeNodeInfo, makePod, newState } from '../testing.js';
import { defaultSelector, podTopologySpread } from './pod-topology-spread.js';
import { interPodAffinity } from './inter-pod-affinity.js';
import type { Handle } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';

const lister = (items: object[]) => ({ get: (_ns: string | undefined, name: string) => items.find((i) => (i as { metadata: { name: string } }).metadata.name === name) as never, list: () => items as never[] });

function handleFor(nodes: NodeInfo[], workloads: { services?: object[]; replicaSets?: object[] } = {}): Handle {
  return {
    snapshot: {
      list: () => nodes,
      get: (name: string) => nodes.find((n) => n.name === name),
      havePodsWithAffinity: () => nodes.filter((n) => n.podsWithAffinity > 0),
      havePodsWithRequiredAntiAffinity: () => nodes.filter((n) => n.podsWithRequiredAntiAffinity > 0),
    },
    namespaceLabels: () => ({}),
    workloads: { services: lister(workloads.services ?? []), replicaSets: lister(workloads.replicaSets ?? []), statefulSets: lister([]) },
  } as unknown as Handle;
}

test('PodTopologySpread: DoNotSchedule keeps the skew, and missing labels are unresolvable', () => {
  const zone = (name: string, z?: string) => makeNode(name, { labels: z ? { zone: z } : {} });
  const web = (name: string) => makePod(name, {}, undefined, { app: 'web' });
  const nodes = [makeNodeInfo(zone('a1', 'a'), [web('w1'), web('w2')]), makeNodeInfo(zone('b1', 'b')), makeNodeInfo(zone('x'))];
  const plugin = podTopologySpread(undefined, handleFor(nodes));
  const incoming = makePod('new', { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }] }, undefined, { app: 'web' });
  const state = newState();
  plugin.preFilter(state, incoming, nodes);
  assert.equal(plugin.filter(state, incoming, nodes[0])?.reasons[0], "node(s) didn't match pod topology spread constraints");
  assert.equal(plugin.filter(state, incoming, nodes[1]), undefined);
  assert.equal(plugin.filter(state, incoming, nodes[2])?.code, 'UnschedulableAndUnresolvable');
});

test('PodTopologySpread: pods of a ReplicaSet without constraints spread by the system defaults', () => {
  const rs = { metadata: { name: 'web-abc', namespace: 'default', uid: 'rs' }, spec: { selector: { matchLabels: { app: 'web' } } } };
  const owned = (name: string) => ({ ...makePod(name, {}, undefined, { app: 'web' }), metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs', controller: true }] } });
  const nodes = [makeNodeInfo(makeNode('busy'), [owned('w1'), owned('w2')]), makeNodeInfo(makeNode('idle'))];
  const handle = handleFor(nodes, { replicaSets: [rs] });
  assert.deepEqual(defaultSelector(owned('w3'), handle), { matchLabels: { app: 'web' }, matchExpressions: [] });
  assert.equal(defaultSelector(makePod('loner'), handle), undefined);
  const plugin = podTopologySpread(undefined, handle);
  const state = newState();
  assert.equal(plugin.preScore(state, owned('w3'), nodes), undefined);
  const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(state, owned('w3'), n) as number }));
  plugin.normalizeScore!(state, owned('w3'), scores);
  assert.ok(scores[1].score > scores[0].score, `the idle node scores higher: ${JSON.stringify(scores)}`);
});

test("InterPodAffinity: existing pods' anti-affinity keeps newcomers away; preferred affinity scores", () => {
  const loner = makePod('loner', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'noisy' } }, topologyKey: 'kubernetes.io/hostname' }] } } }, undefined, { app: 'loner' });
  const nodes = [makeNodeInfo(makeNode('a'), [loner]), makeNodeInfo(makeNode('b'), [makePod('friend', {}, undefined, { app: 'friend' })])];
  const plugin = interPodAffinity(undefined, handleFor(nodes));
  const noisy = makePod('noisy', {}, undefined, { app: 'noisy' });
  const state = newState();
  plugin.preFilter(state, noisy, nodes);
  assert.equal(plugin.filter(state, noisy, nodes[0])?.reasons[0], "node(s) didn't satisfy existing pods anti-affinity rules");
  assert.equal(plugin.filter(state, noisy, nodes[1]), undefined);
  const social = makePod('social', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: { labelSelector: { matchLabels: { app: 'friend' } }, topologyKey: 'kubernetes.io/hostname' } }] } } });
  const s2 = newState();
  plugin.preScore(s2, social, nodes);
  const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(s2, social, n) as number }));
  plugin.normalizeScore!(s2, social, scores);
  assert.deepEqual(scores.map((s) => s.score), [0, 100]);
});
