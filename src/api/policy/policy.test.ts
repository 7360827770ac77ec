import { it } from 'node:test';
import assert from 'node:assert/strict';
import { poddisruptionbudgets } from './index.js';

it('validates a PodDisruptionBudget like upstream', () => {
  const ok = { metadata: { name: 'web', namespace: 'default' }, spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } } };
  assert.deepEqual(poddisruptionbudgets.validate!(ok, { operation: 'create' }), []);
  const both = { ...ok, spec: { ...ok.spec, maxUnavailable: 1 } };
  assert.match(poddisruptionbudgets.validate!(both, { operation: 'create' })[0].detail!, /cannot be both set/);
  const bad = { ...ok, spec: { minAvailable: '150%', unhealthyPodEvictionPolicy: 'Sometimes' } };
  assert.deepEqual(poddisruptionbudgets.validate!(bad, { operation: 'create' }).map((e) => e.field), ['spec.minAvailable', 'spec.unhealthyPodEvictionPolicy']);
});

it('prints N/A for the bound that is not set', () => {
  const pdb = { metadata: { name: 'web', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } };
  assert.deepEqual(poddisruptionbudgets.table!.cells(pdb, new Date('2024-01-01T00:00:30Z')), ['web', '2', 'N/A', 1, '30s']);
});
