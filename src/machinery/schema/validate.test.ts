import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { s } from './build.js';
import { canonicalizeQuantities, checkTypes, findUnknownFields, formatTypeError, parseJsonStrict, parseYamlStrict, pruneUnknownFields } from './validate.js';

const Container = s.object('io.k8s.api.core.v1.Container', undefined, { name: s.string(), image: s.string() });
const Spec = s.object('io.k8s.api.apps.v1.DeploymentSpec', undefined, {
  replicas: s.int32(),
  paused: s.boolean(),
  maxSurge: s.intOrString(),
  containers: s.array(Container),
  labels: s.map(s.string()),
  extra: s.any(),
});
const Deployment = s.object('io.k8s.api.apps.v1.Deployment', undefined, { spec: Spec });

describe('checkTypes', () => {
  it('reports the Go-style type error', () => {
    const [error] = checkTypes({ spec: { replicas: 'three' } }, Deployment);
    assert.equal(
      formatTypeError('Deployment', 'v1', error),
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });
  it('rejects fractions for integers and non-strings in string maps', () => {
    assert.equal(checkTypes({ spec: { replicas: 1.5 } }, Deployment)[0].actual, 'number 1.5');
    assert.equal(checkTypes({ spec: { labels: { a: 1 } } }, Deployment)[0].path, 'spec.labels');
    assert.equal(checkTypes({ spec: { containers: [{ name: 5 }] } }, Deployment)[0].path, 'spec.containers[0].name');
  });
  it('accepts int-or-string, nulls and free-form fields', () => {
    assert.deepEqual(checkTypes({ spec: { maxSurge: 1, paused: null, extra: { x: [1, 'a'] } } }, Deployment), []);
    assert.deepEqual(checkTypes({ spec: { maxSurge: '25%' } }, Deployment), []);
  });
});

describe('unknown fields', () => {
  it('finds and prunes them', () => {
    const body = { spec: { replicas: 1, bogus: true, containers: [{ name: 'a', imag: 'x' }], extra: { free: 1 }, paused: null } };
    assert.deepEqual(findUnknownFields(body, Deployment), ['spec.bogus', 'spec.containers[0].imag']);
    pruneUnknownFields(body, Deployment);
    assert.deepEqual(body, { spec: { replicas: 1, containers: [{ name: 'a' }], extra: { free: 1 } } });
  });
});

describe('strict parsing', () => {
  it('finds duplicate JSON keys with their paths', () => {
    const { value, duplicates } = parseJsonStrict('{"a":1,"b":{"c":[{"d":1,"d":2}],"c":3},"a":2,"s":"x,\\"a\\":"}');
    assert.deepEqual(duplicates, ['b.c[0].d', 'b.c', 'a']);
    assert.equal((value as { a: number }).a, 2);
  });
  it('rejects malformed JSON with a 400', () => {
    assert.throws(() => parseJsonStrict('{'), /json parse error/);
  });
  it('finds duplicate YAML keys', () => {
    const { value, duplicates } = parseYamlStrict('a: 1\nb:\n  c: 1\n  c: 2\n');
    assert.deepEqual(duplicates, ['b.c']);
    assert.deepEqual(value, { a: 1, b: { c: 2 } });
  });
});

describe('canonicalizeQuantities', () => {
  it('rewrites valid quantities and leaves invalid ones', () => {
    const Resources = s.object(undefined, undefined, { limits: s.map(s.quantity()), requests: s.map(s.quantity()) });
    const body = { limits: { cpu: '1000m', memory: '1.5Gi' }, requests: { cpu: 0.5, memory: 'lots' } };
    canonicalizeQuantities(body, Resources);
    assert.deepEqual(body, { limits: { cpu: '1', memory: '1536Mi' }, requests: { cpu: '500m', memory: 'lots' } });
  });
});
