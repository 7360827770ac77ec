/**
 * Pruning, null dropping and defaulting of custom resources by their
 * structural schemas (structural.ts): table tests after upstream's pruning
 * and defaulting algorithms' cases.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema } from './types.js';
import { applyCustomResourceDefaults, dropNullsWithoutDefaults, pruneCustomResource } from './structural.js';

const crontab: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        cronSpec: { type: 'string' },
        replicas: { type: 'integer', default: 1 },
        image: { type: 'string', nullable: true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
        steps: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
        free: { type: 'array' },
      },
    },
  },
};

describe('pruneCustomResource', () => {
  it('removes unknown fields everywhere, reporting their paths; keeps apiVersion, kind and metadata at the root', () => {
    const object = {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'x', whatever: 'the apiserver handles the root metadata' },
      unknownTop: 1,
      spec: { cronSpec: '* * * * */5', bogus: true, steps: [{ name: 'a', typo: 1 }, { name: 'b' }], free: [{ anything: 1 }] },
    };
    const unknown = pruneCustomResource(object, crontab);
    assert.deepEqual(unknown, ['unknownTop', 'spec.bogus', 'spec.steps[0].typo', 'spec.free[0].anything']);
    assert.deepEqual(object, {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'x', whatever: 'the apiserver handles the root metadata' },
      spec: { cronSpec: '* * * * */5', steps: [{ name: 'a' }, { name: 'b' }], free: [{}] },
    });
  });

  it('keeps unknown fields below x-kubernetes-preserve-unknown-fields, but prunes known properties there', () => {
    const object = { spec: { extra: { anything: { deep: 1 }, known: { a: 'x', b: 'pruned' } } } };
    assert.deepEqual(pruneCustomResource(object, crontab), ['spec.extra.known.b']);
    assert.deepEqual(object.spec.extra, { anything: { deep: 1 }, known: { a: 'x' } });
  });

  it('an embedded resource keeps apiVersion, kind and ObjectMeta fields of its metadata', () => {
    const object = { spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' }, notMeta: 1 }, spec: { x: 'y', z: 1 }, other: 2 } } };
    assert.deepEqual(pruneCustomResource(object, crontab), ['spec.template.spec.z', 'spec.template.other']);
    assert.deepEqual(object.spec.template, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { x: 'y' } });
  });

  it('an apiVersion that is not a string is pruned like any unknown field, and map keys are all kept', () => {
    const object = { spec: { template: { apiVersion: 1 }, labels: { a: 'b', c: 'd' } } };
    assert.deepEqual(pruneCustomResource(object, crontab), ['spec.template.apiVersion']);
    assert.deepEqual(object.spec.labels, { a: 'b', c: 'd' });
  });
});

describe('pruneCustomResource at a root that preserves unknown fields', () => {
  it("keeps everything, and leaves the root's metadata to the apiserver", () => {
    const object = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', labels: {} }, anything: { goes: true } };
    assert.deepEqual(pruneCustomResource(object, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }), []);
    assert.deepEqual(object, { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', labels: {} }, anything: { goes: true } });
  });
});

describe('dropNullsWithoutDefaults', () => {
  it('drops nulls that may not be null and have no default; keeps nullable ones and those a default will replace', () => {
    const object = { spec: { cronSpec: null, replicas: null, image: null, labels: { a: null }, steps: [null] } };
    dropNullsWithoutDefaults(object, crontab);
    assert.deepEqual(object, { spec: { replicas: null, image: null, labels: {}, steps: [null] } });
  });
});

describe('applyCustomResourceDefaults', () => {
  const cases: { name: string; schema: Schema; value: unknown; expected: unknown }[] = [
    { name: 'a missing property gets its default', schema: crontab, value: { spec: {} }, expected: { spec: { replicas: 1 } } },
    { name: 'a present one keeps its value', schema: crontab, value: { spec: { replicas: 5 } }, expected: { spec: { replicas: 5 } } },
    { name: 'a null that may not be null gets the default', schema: crontab, value: { spec: { replicas: null } }, expected: { spec: { replicas: 1 } } },
    { name: 'no spec, no default below it', schema: crontab, value: {}, expected: {} },
    {
      name: 'defaults nest: a defaulted object gets its own properties defaulted',
      schema: { type: 'object', properties: { a: { type: 'object', default: {}, properties: { b: { type: 'string', default: 'x' } } } } },
      value: {},
      expected: { a: { b: 'x' } },
    },
    {
      name: 'list items and map values: null ones get the items default, objects their property defaults',
      schema: {
        type: 'object',
        properties: {
          list: { type: 'array', items: { type: 'object', default: { n: 0 }, properties: { n: { type: 'integer' }, on: { type: 'boolean', default: true } } } },
          map: { type: 'object', additionalProperties: { type: 'string', default: 'none' } },
        },
      },
      value: { list: [null, { n: 2 }], map: { a: null, b: 'set' } },
      expected: { list: [{ n: 0, on: true }, { n: 2, on: true }], map: { a: 'none', b: 'set' } },
    },
    {
      name: 'a default is a copy, not shared between objects',
      schema: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' }, default: ['a'] } } },
      value: {},
      expected: { tags: ['a'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      applyCustomResourceDefaults(c.value, c.schema);
      assert.deepEqual(c.value, c.expected);
    });
  }

  it('never shares a default between two objects', () => {
    const schema: Schema = { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' }, default: ['a'] } } };
    const one: { tags?: string[] } = {};
    const two: { tags?: string[] } = {};
    applyCustomResourceDefaults(one, schema);
    applyCustomResourceDefaults(two, schema);
    one.tags!.push('b');
    assert.deepEqual(two.tags, ['a']);
    assert.deepEqual(schema.properties!.tags.default, ['a']);
  });
});
