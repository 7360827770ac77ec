import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storageclasses, type StorageClass } from './storageclass.js';
import { csidrivers, csinodes, type CSIDriver } from './csi.js';
import { volumeattachments, type VolumeAttachment } from './volumeattachment.js';
import { renderFieldError } from '../../machinery/status.js';

const now = new Date('2024-01-01T00:01:00Z');
const created = '2024-01-01T00:00:00Z';
const sc = (over: Partial<StorageClass> = {}): StorageClass => ({ metadata: { name: 'fast', creationTimestamp: created }, provisioner: 'csi.example.com', ...over });

test('storage class defaults and table, with (default) after the default class', () => {
  const obj = sc({ metadata: { name: 'local', creationTimestamp: created, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
  storageclasses.defaults!(obj);
  assert.equal(obj.reclaimPolicy, 'Delete');
  assert.equal(obj.volumeBindingMode, 'Immediate');
  assert.deepEqual(storageclasses.validate!(obj, { operation: 'create' }), []);
  assert.deepEqual(storageclasses.table!.cells(obj, now), ['local (default)', 'csi.example.com', 'Delete', 'Immediate', false, '60s']);
  assert.deepEqual(storageclasses.table!.columns.map((c) => c.name), ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
});

test('storage class validation and immutability', () => {
  const bad = sc({ provisioner: '', reclaimPolicy: 'Recycle', volumeBindingMode: 'Later' });
  assert.deepEqual(storageclasses.validate!(bad, { operation: 'create' }).map(renderFieldError), [
    'provisioner: Required value',
    'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
    'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
  ]);
  const old = sc({ parameters: { type: 'ssd' }, reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
  const next = sc({ provisioner: 'other.example.com', parameters: { type: 'hdd' }, reclaimPolicy: 'Retain', volumeBindingMode: 'Immediate', allowVolumeExpansion: true });
  assert.deepEqual(storageclasses.validateUpdate!(next, old).map(renderFieldError), [
    'parameters: Forbidden: updates to parameters are forbidden.',
    'provisioner: Forbidden: updates to provisioner are forbidden.',
    'reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.',
  ]);
});

test('csi driver defaults, validation and table', () => {
  const obj: CSIDriver = { metadata: { name: 'csi.example.com', creationTimestamp: created }, spec: {} };
  csidrivers.defaults!(obj);
  assert.deepEqual(obj.spec, {
    attachRequired: true, podInfoOnMount: false, storageCapacity: false, fsGroupPolicy: 'ReadWriteOnceWithFSType',
    volumeLifecycleModes: ['Persistent'], requiresRepublish: false, seLinuxMount: false,
  });
  assert.deepEqual(csidrivers.validate!(obj, { operation: 'create' }), []);
  assert.deepEqual(csidrivers.table!.cells(obj, now), ['csi.example.com', true, false, false, '<unset>', false, 'Persistent', '60s']);
  const bad: CSIDriver = { metadata: { name: 'x' }, spec: { ...obj.spec, tokenRequests: [{ audience: 'a', expirationSeconds: 60 }, { audience: 'a' }] } };
  assert.deepEqual(csidrivers.validate!(bad, { operation: 'create' }).map(renderFieldError), [
    'spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    'spec.tokenRequests[1].audience: Duplicate value: "a"',
  ]);
  assert.deepEqual(csidrivers.validateUpdate!({ ...obj, spec: { ...obj.spec, attachRequired: false } }, obj).map(renderFieldError), [
    'spec.attachRequired: Invalid value: false: field is immutable',
  ]);
});

test('csi node drivers', () => {
  const node = { metadata: { name: 'node-a', creationTimestamp: created }, spec: { drivers: [{ name: 'csi.example.com', nodeID: 'i-1', topologyKeys: ['topology.kubernetes.io/zone'] }] } };
  assert.deepEqual(csinodes.validate!(node, { operation: 'create' }), []);
  assert.deepEqual(csinodes.table!.cells(node, now), ['node-a', 1, '60s']);
  const dup = { ...node, spec: { drivers: [...node.spec.drivers, { name: 'csi.example.com', nodeID: '' }] } };
  assert.deepEqual(csinodes.validate!(dup, { operation: 'create' }).map(renderFieldError), [
    'spec.drivers[1].name: Duplicate value: "csi.example.com"',
    'spec.drivers[1].nodeID: Required value',
  ]);
});

test('volume attachments: one source, status cleared on create, spec immutable', () => {
  const va: VolumeAttachment = {
    metadata: { name: 'csi-123', creationTimestamp: created },
    spec: { attacher: 'csi.example.com', source: { persistentVolumeName: 'pv-1' }, nodeName: 'node-a' },
    status: { attached: true },
  };
  volumeattachments.prepareForCreate!(va);
  assert.deepEqual(va.status, { attached: false });
  assert.deepEqual(volumeattachments.validate!(va, { operation: 'create' }), []);
  assert.deepEqual(volumeattachments.table!.cells(va, now), ['csi-123', 'csi.example.com', 'pv-1', 'node-a', false, '60s']);
  const none = { ...va, spec: { ...va.spec, source: {} } };
  assert.deepEqual(volumeattachments.validate!(none, { operation: 'create' }).map(renderFieldError), [
    'spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
  ]);
  assert.equal(volumeattachments.validateUpdate!({ ...va, spec: { ...va.spec, nodeName: 'node-b' } }, va).length, 1);
});
