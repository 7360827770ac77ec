import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './index.js';
import { isStatusError } from '../status.js';
import { s } from '../schema/build.js';
import { PodSpecSchema } from '../../api/core/index.js';

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { labels: { 'app.kubernetes.io/name': 'web' } }, spec: { list: ['a', 'b'] } };
  it('applies every operation in order and leaves the input alone', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/spec/list/-', value: 'c' },
      { op: 'add', path: '/spec/list/0', value: 'first' },
      { op: 'remove', path: '/spec/list/1' },
      { op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'api' },
      { op: 'copy', from: '/spec/list', path: '/spec/copy' },
      { op: 'move', from: '/spec/copy', path: '/spec/moved' },
      { op: 'test', path: '/spec/moved/0', value: 'first' },
    ]);
    assert.deepEqual(out, {
      metadata: { labels: { 'app.kubernetes.io/name': 'api' } },
      spec: { list: ['first', 'b', 'c'], moved: ['first', 'b', 'c'] },
    });
    assert.deepEqual(doc.spec.list, ['a', 'b']);
  });
  it('fails a failed test or a missing path with 422, a malformed patch with 400', () => {
    assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/spec/list/0', value: 'z' }]), (e) => isStatusError(e) && e.code === 422);
    assert.throws(() => applyJsonPatch(doc, [{ op: 'replace', path: '/nope', value: 1 }]), (e) => isStatusError(e) && e.code === 422);
    assert.throws(() => applyJsonPatch(doc, { op: 'add' }), (e) => isStatusError(e, 'BadRequest'));
    assert.throws(() => applyJsonPatch(doc, [{ op: 'frobnicate', path: '/a' }]), (e) => isStatusError(e, 'BadRequest'));
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('follows the RFC examples', () => {
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, { b: 'c' }), { a: 'b', b: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: null }), {});
    assert.deepEqual(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
    assert.deepEqual(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } }), { a: { b: 'd' } });
    assert.deepEqual(applyMergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
  });
  it('does not share nested values with the input', () => {
    const doc = { keep: { deep: 1 }, change: 1 };
    const out = applyMergePatch(doc, { change: 2 }) as typeof doc;
    out.keep.deep = 99;
    assert.equal(doc.keep.deep, 1);
  });
});

describe('strategic merge patch', () => {
  const pod = {
    metadata: { labels: { app: 'web' }, finalizers: ['a', 'b'] },
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
        { name: 'sidecar', image: 'envoy:1' },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      nodeSelector: { disk: 'ssd' },
    },
  };
  const MetaSchema = s.object(undefined, undefined, {
    labels: s.map(s.string()),
    finalizers: s.array(s.string(), undefined, { patchStrategy: 'merge' }),
  });
  const PodSchema = s.object(undefined, undefined, { metadata: MetaSchema, spec: PodSpecSchema });
  const smp = (patch: unknown) => applyStrategicMergePatch(pod, patch, PodSchema) as typeof pod;

  it('merges containers by name and env by name', () => {
    const out = smp({ spec: { containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', value: '2' }] }] } });
    assert.equal(out.spec.containers.length, 2);
    assert.equal(out.spec.containers[0].image, 'nginx:2');
    assert.deepEqual(out.spec.containers[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
    assert.deepEqual(out.spec.containers[0].ports, [{ containerPort: 80 }]);
    assert.equal(pod.spec.containers[0].image, 'nginx:1');
  });
  it('adds new elements and deletes with $patch: delete', () => {
    const out = smp({ spec: { containers: [{ name: 'sidecar', $patch: 'delete' }, { name: 'extra', image: 'busybox' }] } });
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['web', 'extra']);
  });
  it('replaces a list with $patch: replace', () => {
    const out = smp({ spec: { volumes: [{ $patch: 'replace' }, { name: 'new', emptyDir: {} }] } });
    assert.deepEqual(out.spec.volumes, [{ name: 'new', emptyDir: {} }]);
  });
  it('merges primitive sets and deletes from them', () => {
    assert.deepEqual(smp({ metadata: { finalizers: ['c', 'a'] } }).metadata.finalizers, ['a', 'b', 'c']);
    assert.deepEqual(smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }).metadata.finalizers, ['b']);
  });
  it('deletes map keys with null and replaces a map with $patch: replace', () => {
    assert.deepEqual(smp({ metadata: { labels: { app: null, tier: 'fe' } } }).metadata.labels, { tier: 'fe' });
    assert.deepEqual(smp({ spec: { nodeSelector: { $patch: 'replace', zone: 'a' } } }).spec.nodeSelector, { zone: 'a' });
  });
  it('orders a merged list by $setElementOrder', () => {
    const out = smp({
      spec: {
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
        containers: [{ name: 'web', image: 'nginx:3' }],
      },
    });
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['sidecar', 'web']);
  });
  it('keeps only $retainKeys', () => {
    const Strategy = s.object(undefined, undefined, {
      strategy: s.object(undefined, undefined, { type: s.string(), rollingUpdate: s.object(undefined, undefined, { maxSurge: s.intOrString() }) }, { patchStrategy: 'retainKeys' }),
    });
    const deployment = { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } };
    assert.deepEqual(applyStrategicMergePatch(deployment, { strategy: { $retainKeys: ['type'], type: 'Recreate' } }, Strategy), { strategy: { type: 'Recreate' } });
  });
  it('replaces lists without a merge strategy', () => {
    const Schema = s.object(undefined, undefined, { args: s.array(s.string()) });
    assert.deepEqual(applyStrategicMergePatch({ args: ['a', 'b'] }, { args: ['c'] }, Schema), { args: ['c'] });
  });
  it('rejects a merge-list element without its merge key', () => {
    assert.throws(() => smp({ spec: { containers: [{ image: 'x' }] } }), /does not contain declared merge key: name/);
  });
  it('handles what kubectl apply sends when an image changes and a container is removed', () => {
    const out = smp({
      spec: {
        '$setElementOrder/containers': [{ name: 'web' }],
        containers: [{ name: 'web', image: 'nginx:2' }, { $patch: 'delete', name: 'sidecar' }],
      },
    });
    assert.deepEqual(out.spec.containers.map((c) => [c.name, c.image]), [['web', 'nginx:2']]);
  });
});
