/** Server-side apply's value operations (merge.ts): merging a configuration, removing field sets, pruning. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema } from '../schema/types.js';
import { FieldSet } from './field-set.js';
import { ensureNamedFieldsAreMembers, mergeConfiguration, pruneApplied, removeItems } from './merge.js';
import { fieldSetOf } from './to-field-set.js';

const container: Schema = { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string' }, args: { type: 'array', items: { type: 'string' } } } };
const schema: Schema = {
  type: 'object',
  properties: {
    metadata: { type: 'object', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } },
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        paused: { type: 'boolean' },
        selector: { type: 'object', 'x-kubernetes-map-type': 'atomic', additionalProperties: { type: 'string' } },
        containers: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: container },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        args: { type: 'array', items: { type: 'string' } },
      },
    },
  },
};
const fields = (json: unknown) => FieldSet.fromFieldsV1(json);

describe('mergeConfiguration', () => {
  const cases: { name: string; live: unknown; config: unknown; expected: unknown }[] = [
    { name: 'scalars are replaced, absent fields kept', live: { spec: { replicas: 1, paused: true } }, config: { spec: { replicas: 3 } }, expected: { spec: { replicas: 3, paused: true } } },
    { name: 'granular maps merge by key', live: { metadata: { labels: { a: '1', b: '2' } } }, config: { metadata: { labels: { b: 'x', c: '3' } } }, expected: { metadata: { labels: { a: '1', b: 'x', c: '3' } } } },
    { name: 'atomic maps and lists are replaced whole', live: { spec: { selector: { a: '1' }, args: ['x', 'y'] } }, config: { spec: { selector: { b: '2' }, args: ['z'] } }, expected: { spec: { selector: { b: '2' }, args: ['z'] } } },
    {
      name: 'map lists merge item by item: live-only items keep their place, shared ones follow the configuration',
      live: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }, { name: 'c', image: '1' }] } },
      config: { spec: { containers: [{ name: 'c', image: '2' }, { name: 'a', image: '2' }, { name: 'd', image: '2' }] } },
      expected: { spec: { containers: [{ name: 'b', image: '1' }, { name: 'c', image: '2' }, { name: 'a', image: '2' }, { name: 'd', image: '2' }] } },
    },
    { name: 'set lists merge by value', live: { spec: { tags: ['a', 'b'] } }, config: { spec: { tags: ['c', 'a'] } }, expected: { spec: { tags: ['c', 'a', 'b'] } } },
    { name: 'into nothing, the configuration', live: undefined, config: { spec: { replicas: 1 } }, expected: { spec: { replicas: 1 } } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(mergeConfiguration(c.live, c.config, schema), c.expected));

  it('shares nothing with its inputs', () => {
    const live = { metadata: { labels: { a: '1' } } };
    const merged = mergeConfiguration(live, { spec: { replicas: 1 } }, schema) as typeof live;
    merged.metadata.labels.a = 'changed';
    assert.equal(live.metadata.labels.a, '1');
  });
});

describe('ensureNamedFieldsAreMembers and removeItems', () => {
  it('struct fields on the way become members, map keys on the way do not', () => {
    const set = fields({ 'f:spec': { 'f:replicas': {} }, 'f:metadata': { 'f:labels': { 'f:a': {} } } });
    assert.equal(ensureNamedFieldsAreMembers(set, schema).toFieldsV1Json(), '{"f:metadata":{".":{},"f:labels":{".":{},"f:a":{}}},"f:spec":{".":{},"f:replicas":{}}}');
  });
  it('members go with everything below; what removal empties becomes null', () => {
    const value = { metadata: { labels: { a: '1' } }, spec: { replicas: 1, containers: [{ name: 'a' }, { name: 'b', image: 'x' }] } };
    const removed = removeItems(value, fields({ 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"a"}': {}, 'k:{"name":"b"}': { 'f:image': {} } } } }), schema);
    assert.deepEqual(removed, { metadata: { labels: null }, spec: { replicas: 1, containers: [{ name: 'b' }] } });
  });
});

describe('pruneApplied', () => {
  const live = { metadata: { labels: { a: '1', b: '2' } }, spec: { replicas: 3, paused: true, containers: [{ name: 'a', image: 'x', args: ['1'] }] } };
  const cases: { name: string; last: unknown; managed: unknown; expected: unknown }[] = [
    {
      name: 'what the applier no longer applies and no one owns goes',
      last: { 'f:metadata': { 'f:labels': { 'f:a': {}, 'f:b': {} } }, 'f:spec': { 'f:replicas': {} } },
      managed: { 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:paused': {} } },
      expected: { metadata: { labels: { a: '1' } }, spec: { paused: true, containers: [{ name: 'a', image: 'x', args: ['1'] }] } },
    },
    {
      name: 'what another manager owns stays',
      last: { 'f:spec': { 'f:replicas': {}, 'f:paused': {} } },
      managed: { 'f:spec': { 'f:paused': {} } },
      expected: { ...live, spec: { paused: true, containers: live.spec.containers } },
    },
    {
      name: 'a list item the applier stops naming goes with its fields, even those an updater set',
      last: { 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:name': {}, 'f:image': {} } } } },
      managed: { 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { 'f:args': {} } } } },
      expected: { metadata: live.metadata, spec: { replicas: 3, paused: true, containers: null } },
    },
    {
      name: 'fields the applier never owned stay, whoever (or no one) owns them, while anyone owns something beside them',
      last: { 'f:spec': { 'f:replicas': {} } },
      managed: { 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { 'f:image': {} } } } },
      expected: { metadata: live.metadata, spec: { paused: true, containers: live.spec.containers } },
    },
    {
      // Upstream's arithmetic: the struct itself counts as the applier's (EnsureNamedFieldsAreMembers) once no one holds anything in it.
      name: 'a struct in which the applier applies nothing any more, and no one owns anything, goes whole',
      last: { 'f:spec': { 'f:replicas': {} } },
      managed: {},
      expected: { metadata: live.metadata },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(pruneApplied(live, fields(c.last), fields(c.managed), schema), c.expected));

  it('an applied set from the configuration keeps exactly what is applied again', () => {
    const applied = fieldSetOf({ spec: { replicas: 3 } }, schema);
    const last = fieldSetOf({ spec: { replicas: 3, paused: true } }, schema);
    assert.deepEqual(pruneApplied(live, last, applied, schema), { ...live, spec: { replicas: 3, containers: live.spec.containers } });
  });
});
