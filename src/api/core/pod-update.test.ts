import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePodUpdate } from './pod-update.js';

const pod = (spec: Record<string, unknown>) => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } });

test('scheduling gates may be removed, never added; a gated pod may gain node selector entries', () => {
  const gated = pod({ schedulingGates: [{ name: 'a' }, { name: 'b' }], nodeSelector: { zone: 'a' } });
  assert.deepEqual(validatePodUpdate(pod({ schedulingGates: [{ name: 'b' }], nodeSelector: { zone: 'a' } }), gated), []);
  assert.deepEqual(validatePodUpdate(pod({ nodeSelector: { zone: 'a', disk: 'ssd' }, schedulingGates: [{ name: 'a' }, { name: 'b' }] }), gated), []);
  const added = validatePodUpdate(pod({ schedulingGates: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], nodeSelector: { zone: 'a' } }), gated);
  assert.equal(added[0]?.detail, "only deletion is allowed, but found new scheduling gate 'c'");
  // Without gates the node selector is as immutable as the rest of the spec.
  const ungated = pod({ nodeSelector: { zone: 'a' } });
  assert.match(validatePodUpdate(pod({ nodeSelector: { zone: 'a', disk: 'ssd' } }), ungated)[0]?.detail ?? '', /pod updates may not change fields/);
});
