/** Field ownership across writes (field-manager.ts): a table of writes and the managedFields they leave. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ManagedFieldsEntry } from '../object.js';
import type { Schema } from '../schema/types.js';
import { ApplyConflictError, applyConfiguration, describeManager, recordUpdate, type WriteScope } from './field-manager.js';
import { formatPath } from './path-element.js';

const schema: Schema = {
  type: 'object',
  properties: {
    metadata: { type: 'object', properties: { name: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } } },
    data: { type: 'object', additionalProperties: { type: 'string' } },
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        containers: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string' } } } },
      },
    },
    status: { type: 'object', properties: { ready: { type: 'integer' } } },
  },
};
const scope = (now: string, extra: Partial<WriteScope> = {}): WriteScope => ({ schema, apiVersion: 'example.com/v1', now, ...extra });
const T1 = '2026-01-01T00:00:01Z';
const T2 = '2026-01-01T00:00:02Z';
const T3 = '2026-01-01T00:00:03Z';
/** The entries as `manager operation fieldsV1-json`, in order. */
const summary = (object: KubeObject) => (object.metadata.managedFields ?? []).map((e) => `${e.manager} ${e.operation}${e.subresource ? `/${e.subresource}` : ''} ${JSON.stringify(e.fieldsV1)}`);
const object = (rest: Record<string, unknown>, managedFields?: KubeObject['metadata']['managedFields']): KubeObject => ({ metadata: { name: 'x', ...(managedFields ? { managedFields } : {}) }, ...rest });

describe('recordUpdate', () => {
  it('a create owns everything it set, maps with "."', () => {
    const created = object({ data: { a: '1' }, spec: { replicas: 1 } });
    recordUpdate(undefined, created, 'creator', scope(T1));
    assert.deepEqual(summary(created), ['creator Update {"f:data":{".":{},"f:a":{}},"f:spec":{".":{},"f:replicas":{}}}']);
    assert.equal(created.metadata.managedFields![0].time, T1);
  });

  it('another manager takes what it changes; removed fields leave everyone', () => {
    const old = object({ data: { a: '1', b: '2' } });
    recordUpdate(undefined, old, 'creator', scope(T1));
    const next = object({ data: { a: 'x', c: '3' } }, old.metadata.managedFields);
    recordUpdate(old, next, 'editor', scope(T2));
    assert.deepEqual(summary(next), ['creator Update {"f:data":{}}', 'editor Update {"f:data":{"f:a":{},"f:c":{}}}']);
  });

  it("a manager's updates accumulate, and its time moves only when it changed something", () => {
    const first = object({ data: { a: '1' } });
    recordUpdate(undefined, first, 'me', scope(T1));
    const second = object({ data: { a: '1', b: '2' } }, first.metadata.managedFields);
    recordUpdate(first, second, 'me', scope(T2));
    assert.deepEqual(summary(second), ['me Update {"f:data":{".":{},"f:a":{},"f:b":{}}}']);
    const third = structuredClone(second);
    recordUpdate(second, third, 'me', scope(T3));
    assert.equal(third.metadata.managedFields![0].time, T2);
  });

  it('[{}] clears the entries; entries a client writes replace them; on a subresource they are ignored', () => {
    const old = object({ data: { a: '1' } });
    recordUpdate(undefined, old, 'creator', scope(T1));
    const reset = object({ data: { a: '1' } }, [{}]);
    recordUpdate(old, reset, 'me', scope(T2));
    assert.equal(reset.metadata.managedFields, undefined);
    const given: ManagedFieldsEntry[] = [{ manager: 'someone', operation: 'Apply', apiVersion: 'example.com/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }];
    const replaced = object({ data: { a: '1' } }, structuredClone(given));
    recordUpdate(old, replaced, 'me', scope(T2));
    assert.deepEqual(summary(replaced), ['someone Apply {"f:data":{"f:a":{}}}']);
    const throughStatus = object({ data: { a: '1' }, status: { ready: 1 } }, structuredClone(given));
    recordUpdate(old, throughStatus, 'kubelet', scope(T2, { subresource: 'status', ignoresField: (name) => name !== 'status' && name !== 'metadata' }));
    assert.deepEqual(summary(throughStatus), ['creator Update {"f:data":{".":{},"f:a":{}}}', 'kubelet Update/status {"f:status":{".":{},"f:ready":{}}}']);
  });

  it('more than ten Update managers: the oldest fold into one ancient-changes entry per apiVersion', () => {
    let current = object({ data: { k0: 'v' } });
    recordUpdate(undefined, current, 'm0', scope('2026-01-01T00:00:10Z'));
    for (let i = 1; i < 14; i++) {
      const next = structuredClone(current);
      (next.data as Record<string, string>)[`k${i}`] = 'v';
      recordUpdate(current, next, `m${i}`, scope(`2026-01-01T00:00:${String(10 + i)}Z`));
      current = next;
    }
    const entries = current.metadata.managedFields!;
    assert.deepEqual(entries.map((e) => e.manager), ['ancient-changes', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11', 'm12', 'm13']);
    assert.deepEqual(Object.keys((entries[0].fieldsV1 as Record<string, Record<string, unknown>>)['f:data']).sort(), ['.', 'f:k0', 'f:k1', 'f:k2', 'f:k3', 'f:k4']);
    assert.equal(entries[0].time, '2026-01-01T00:00:14Z');
  });

  it('an existing object without entries is not tracked by updates; a create is', () => {
    const old = object({ data: { a: '1' } });
    const next = object({ data: { a: '2' } });
    recordUpdate(old, next, 'editor', scope(T1));
    assert.equal(next.metadata.managedFields, undefined);
  });
});

describe('applyConfiguration', () => {
  const base = () => {
    const live = object({ spec: { replicas: 1, containers: [{ name: 'app', image: 'v1' }] } });
    recordUpdate(undefined, live, 'creator', scope(T1));
    return live;
  };

  it("the Apply entry is exactly the applied set; the same values are shared without conflict", () => {
    const merged = applyConfiguration(base(), object({ spec: { replicas: 1 } }), 'ci', scope(T2), { force: false });
    assert.deepEqual(summary(merged), ['ci Apply {"f:spec":{"f:replicas":{}}}', 'creator Update {"f:spec":{".":{},"f:containers":{".":{},"k:{\\"name\\":\\"app\\"}":{".":{},"f:image":{},"f:name":{}}},"f:replicas":{}}}']);
  });

  it('changing a value another manager owns is a conflict; forced, the other manager loses it', () => {
    const live = base();
    assert.throws(
      () => applyConfiguration(live, object({ spec: { replicas: 3, containers: [{ name: 'app', image: 'v2' }] } }), 'ci', scope(T2), { force: false }),
      (err: unknown) => {
        assert.ok(err instanceof ApplyConflictError);
        assert.deepEqual(err.conflicts.map((c) => `${describeManager(c.manager)}: ${formatPath(c.path)}`), [
          '"creator" using example.com/v1: .spec.containers[name="app"].image',
          '"creator" using example.com/v1: .spec.replicas',
        ]);
        return true;
      },
    );
    const forced = applyConfiguration(live, object({ spec: { replicas: 3 } }), 'ci', scope(T2), { force: true });
    assert.equal((forced.spec as { replicas: number }).replicas, 3);
    assert.deepEqual(summary(forced)[1], 'creator Update {"f:spec":{".":{},"f:containers":{".":{},"k:{\\"name\\":\\"app\\"}":{".":{},"f:image":{},"f:name":{}}}}}');
  });

  it('allowed conflicts are taken over like forced ones', async () => {
    const { FieldSet } = await import('./field-set.js');
    const allowed = FieldSet.fromFieldsV1({ 'f:spec': { 'f:replicas': {} } });
    const merged = applyConfiguration(base(), object({ spec: { replicas: 5 } }), 'kubectl', scope(T2), { force: false, allowedConflicts: allowed });
    assert.equal((merged.spec as { replicas: number }).replicas, 5);
  });

  it('a field the manager stops applying goes; one it never applied stays', () => {
    const live = applyConfiguration(undefined, object({ data: { a: '1', b: '2' } }), 'ci', scope(T1), { force: false });
    live.metadata.labels = { kept: 'yes' };
    const next = applyConfiguration(live, object({ data: { a: '1' } }), 'ci', scope(T2), { force: false });
    assert.deepEqual(next.data, { a: '1' });
    assert.deepEqual(next.metadata.labels, { kept: 'yes' });
    assert.deepEqual(summary(next), ['ci Apply {"f:data":{"f:a":{}}}']);
  });

  it('status is outside an apply to the main resource of a kind with a status subresource', () => {
    const merged = applyConfiguration(base(), object({ spec: { replicas: 1 }, status: { ready: 5 } }), 'ci', scope(T2, { ignoresField: (name) => name === 'status' }), { force: false });
    assert.deepEqual(summary(merged)[0], 'ci Apply {"f:spec":{"f:replicas":{}}}');
  });

  it('the first apply to an object without entries conflicts with what it holds (before-first-apply)', () => {
    const live = object({ data: { k: '1' } });
    assert.throws(() => applyConfiguration(live, object({ data: { k: '2' } }), 'ci', scope(T2), { force: false }), (err: unknown) => {
      assert.ok(err instanceof ApplyConflictError);
      assert.equal(describeManager(err.conflicts[0].manager), '"before-first-apply" using example.com/v1');
      return true;
    });
    const shared = applyConfiguration(live, object({ data: { k: '1' } }), 'ci', scope(T2), { force: false });
    assert.deepEqual(summary(shared), ['ci Apply {"f:data":{"f:k":{}}}', 'before-first-apply Update {"f:data":{".":{},"f:k":{}}}']);
    // Nothing changed: the new applier's entry has no time.
    assert.equal(shared.metadata.managedFields![0].time, undefined);
  });

  it('managers are described as upstream prints them', () => {
    assert.equal(describeManager({ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1' }), '"kubectl"');
    assert.equal(describeManager({ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', subresource: 'scale' }), '"kubectl" with subresource "scale" using apps/v1');
  });
});
