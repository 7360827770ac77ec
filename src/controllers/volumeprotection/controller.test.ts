/** In-use protection: when a deleted claim or volume may let go of its finalizer. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { claimInUse, volumeInUse } from './controller.js';

const pod = (name: string, phase: string, volumes: object[]) => ({ metadata: { name, namespace: 'ns' }, spec: { volumes }, status: { phase } });

const claimCases: [string, object[], boolean][] = [
  ['no pod', [], false],
  ['a running pod mounts it', [pod('a', 'Running', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }])], true],
  ['a pending pod mounts it', [pod('a', 'Pending', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }])], true],
  ['only a finished pod mounts it', [pod('a', 'Succeeded', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }])], false],
  ['another claim', [pod('a', 'Running', [{ name: 'v', persistentVolumeClaim: { claimName: 'other' } }])], false],
  ['an ephemeral volume of that name', [pod('data', 'Running', [{ name: 'x', ephemeral: {} }])], false],
  ['the ephemeral claim <pod>-<volume>', [pod('web', 'Running', [{ name: 'scratch', ephemeral: {} }])], true],
];
for (const [name, pods, inUse] of claimCases) it(`claim: ${name}`, () => assert.equal(claimInUse(name.startsWith('the ephemeral') ? 'web-scratch' : 'data', pods as never), inUse));

it('a volume is in use while its bound claim (the same uid) exists', () => {
  const volume = { metadata: { name: 'pv' }, spec: { claimRef: { namespace: 'ns', name: 'data', uid: 'u1' } } };
  assert.equal(volumeInUse(volume, { metadata: { name: 'data', uid: 'u1' } }), true);
  assert.equal(volumeInUse(volume, { metadata: { name: 'data', uid: 'u2' } }), false, 'a recreated claim of that name');
  assert.equal(volumeInUse(volume, undefined), false);
  assert.equal(volumeInUse({ metadata: { name: 'pv' }, spec: {} }, undefined), false);
});
