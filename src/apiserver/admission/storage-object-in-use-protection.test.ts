/** StorageObjectInUseProtection, with upstream's admission_test.go cases (plugin/pkg/admission/storage/storageobjectinuseprotection). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../machinery/object.js';
import type { AdmissionAttributes, Operation } from './chain.js';
import { pvProtectionFinalizer, pvcProtectionFinalizer, storageObjectInUseProtectionPlugin } from './storage-object-in-use-protection.js';

const plugin = storageObjectInUseProtectionPlugin();

function admit(resource: string, object: KubeObject, operation: Operation = 'CREATE', subresource?: string): KubeObject {
  const a = { operation, type: { group: '', resource, namespaced: resource !== 'persistentvolumes' }, subresource, object, user: { username: 'u', groups: [] }, dryRun: false };
  plugin.admit!(a as unknown as AdmissionAttributes);
  return object;
}

const cases: { name: string; resource: string; object: KubeObject; operation?: Operation; subresource?: string; finalizers: string[] | undefined }[] = [
  { name: 'create -> add finalizer (claim)', resource: 'persistentvolumeclaims', object: { metadata: { name: 'claim', namespace: 'ns' } }, finalizers: [pvcProtectionFinalizer] },
  { name: 'finalizer already exists -> no new finalizer (claim)', resource: 'persistentvolumeclaims', object: { metadata: { name: 'claim', namespace: 'ns', finalizers: [pvcProtectionFinalizer] } }, finalizers: [pvcProtectionFinalizer] },
  { name: 'create -> add finalizer (volume)', resource: 'persistentvolumes', object: { metadata: { name: 'pv' } }, finalizers: [pvProtectionFinalizer] },
  { name: 'finalizer already exists -> no new finalizer (volume)', resource: 'persistentvolumes', object: { metadata: { name: 'pv', finalizers: ['other', pvProtectionFinalizer] } }, finalizers: ['other', pvProtectionFinalizer] },
  { name: 'other finalizers are kept', resource: 'persistentvolumeclaims', object: { metadata: { name: 'claim', namespace: 'ns', finalizers: ['other'] } }, finalizers: ['other', pvcProtectionFinalizer] },
  { name: 'pods are left alone', resource: 'pods', object: { metadata: { name: 'pod', namespace: 'ns' } }, finalizers: undefined },
  { name: 'updates are left alone', resource: 'persistentvolumeclaims', object: { metadata: { name: 'claim', namespace: 'ns' } }, operation: 'UPDATE', finalizers: undefined },
  { name: 'subresources are left alone', resource: 'persistentvolumes', object: { metadata: { name: 'pv' } }, subresource: 'status', finalizers: undefined },
];

for (const c of cases) {
  test(c.name, () => {
    assert.deepEqual(admit(c.resource, c.object, c.operation, c.subresource).metadata.finalizers, c.finalizers);
  });
}
