import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leases, type Lease } from './lease.js';
import { renderFieldError } from '../../machinery/status.js';

const lease = (spec: Lease['spec']): Lease => ({ metadata: { name: 'node-a', namespace: 'kube-node-lease' }, spec });

test('a heartbeat lease is valid and prints its holder', () => {
  const obj = lease({ holderIdentity: 'node-a', leaseDurationSeconds: 40, renewTime: '2024-01-01T00:00:00.000000Z' });
  assert.deepEqual(leases.validate!(obj, { operation: 'create' }), []);
  obj.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
  assert.deepEqual(leases.table!.cells(obj, new Date('2024-01-01T00:05:00Z')), ['node-a', 'node-a', '5m']);
});

test('durations and transitions are range-checked', () => {
  const errs = leases.validate!(lease({ leaseDurationSeconds: 0, leaseTransitions: -1 }), { operation: 'create' }).map(renderFieldError);
  assert.deepEqual(errs, [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
  ]);
});

test('preferredHolder needs a strategy', () => {
  const errs = leases.validate!(lease({ preferredHolder: 'x' }), { operation: 'create' }).map(renderFieldError);
  assert.deepEqual(errs, ['spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined']);
  assert.deepEqual(leases.validate!(lease({ preferredHolder: 'x', strategy: 'OldestEmulationVersion' }), { operation: 'create' }), []);
});
