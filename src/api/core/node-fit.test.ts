import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeMatchesPod, nodeSelectorTermMatches, tolerates, untoleratedTaints } from './node-fit.js';

const node = { metadata: { name: 'n1', labels: { zone: 'a', cores: '8' } } };

test('nodeSelector and required node affinity decide which nodes fit', () => {
  assert.equal(nodeMatchesPod({ nodeSelector: { zone: 'a' } }, node), true);
  assert.equal(nodeMatchesPod({ nodeSelector: { zone: 'b' } }, node), false);
  const affinity = (terms: object[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
  // Terms are ORed, expressions within a term ANDed.
  assert.equal(nodeMatchesPod(affinity([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }, { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }]), node), true);
  assert.equal(nodeMatchesPod(affinity([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gpu', operator: 'Exists' }] }]), node), false);
  assert.equal(nodeMatchesPod(affinity([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }]), node), true);
  assert.equal(nodeSelectorTermMatches({}, node), false, 'an empty term matches nothing');
  assert.equal(nodeSelectorTermMatches({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['x'] }] }, node), false, 'Lt needs a number');
});

test('tolerations match taints by key, value and effect; an empty key with Exists matches all', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  assert.equal(tolerates({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, taint), true);
  assert.equal(tolerates({ key: 'dedicated', value: 'cpu' }, taint), false);
  assert.equal(tolerates({ key: 'dedicated', operator: 'Exists' }, taint), true);
  assert.equal(tolerates({ operator: 'Exists' }, taint), true);
  assert.equal(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint), false);
  const taints = [taint, { key: 'soft', effect: 'PreferNoSchedule' }];
  assert.deepEqual(untoleratedTaints(taints, [], ['NoSchedule', 'NoExecute']), [taint]);
});
