/** managedFields entries (managed-fields.ts): upstream's checks, order, identities and stripped paths. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet } from './field-set.js';
import { decodeManagedFields, encodeManagedFields, ManagedFieldsError, managerFromUserAgent, managerIdentity, withoutUnmanaged } from './managed-fields.js';

const set = (fields: Record<string, unknown>) => FieldSet.fromFieldsV1(fields);

describe('managedFields entries', () => {
  it('are written Apply first, then oldest first, then by manager; managers that own nothing are dropped', () => {
    const entries = encodeManagedFields([
      { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', time: '2026-01-01T00:00:05Z', subresource: 'status', fields: set({ 'f:status': { 'f:replicas': {} } }) },
      { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '2026-01-01T00:00:01Z', fields: set({ 'f:spec': { 'f:paused': {} } }) },
      { manager: 'ci', operation: 'Apply', apiVersion: 'apps/v1', time: '2026-01-01T00:00:09Z', fields: set({ 'f:spec': { 'f:replicas': {} } }) },
      { manager: 'nobody', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fields: new FieldSet() },
    ]);
    assert.deepEqual(entries, [
      { manager: 'ci', operation: 'Apply', apiVersion: 'apps/v1', time: '2026-01-01T00:00:09Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '2026-01-01T00:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:paused': {} } } },
      { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', time: '2026-01-01T00:00:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:replicas': {} } }, subresource: 'status' },
    ]);
    assert.equal(encodeManagedFields([]), undefined, 'no managers: no managedFields at all');
  });

  it('are read back, and refused when upstream refuses them', () => {
    const [entry] = decodeManagedFields([{ manager: 'm', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }]);
    assert.equal(entry.fields.toFieldsV1Json(), '{"f:data":{"f:a":{}}}');
    assert.throws(() => decodeManagedFields([{ manager: 'm', operation: 'Patch' as never, apiVersion: 'v1', fieldsType: 'FieldsV1' }]), ManagedFieldsError);
    assert.throws(() => decodeManagedFields([{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV1' }]), /empty apiVersion/);
    assert.throws(() => decodeManagedFields([{ manager: 'm', operation: 'Update', apiVersion: 'v1' }]), /invalid fieldsType/);
  });

  it('one Apply entry per manager whatever the apiVersion; Update entries per apiVersion too', () => {
    assert.equal(managerIdentity({ manager: 'ci', operation: 'Apply', apiVersion: 'apps/v1' }), managerIdentity({ manager: 'ci', operation: 'Apply', apiVersion: 'apps/v1beta1' }));
    assert.notEqual(managerIdentity({ manager: 'ci', operation: 'Update', apiVersion: 'apps/v1' }), managerIdentity({ manager: 'ci', operation: 'Update', apiVersion: 'apps/v1beta1' }));
    assert.notEqual(managerIdentity({ manager: 'ci', operation: 'Update', apiVersion: 'v1' }), managerIdentity({ manager: 'ci', operation: 'Update', apiVersion: 'v1', subresource: 'status' }));
  });

  it('a manager named from the User-Agent', () => {
    assert.equal(managerFromUserAgent('kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9'), 'kubectl');
    assert.equal(managerFromUserAgent('kubectl-client-side-apply/v1.32.0'), 'kubectl-client-side-apply');
    assert.equal(managerFromUserAgent(''), 'unknown');
    assert.equal(managerFromUserAgent('a\u0007b'), 'ab');
    assert.equal(managerFromUserAgent('x'.repeat(200)).length, 128);
  });

  it('identity and bookkeeping are owned by no one', () => {
    const all = set({ 'f:apiVersion': {}, 'f:kind': {}, 'f:metadata': { 'f:name': {}, 'f:uid': {}, 'f:labels': { 'f:app': {} } }, 'f:data': { 'f:a': {} } });
    assert.equal(withoutUnmanaged(all).toFieldsV1Json(), '{"f:data":{"f:a":{}},"f:metadata":{"f:labels":{"f:app":{}}}}');
  });
});
