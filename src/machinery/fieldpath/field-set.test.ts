/**
 * Field sets (server-side apply's managed fields): FieldsV1 read and
 * written byte for byte as upstream does (its serializer's golden order),
 * and the fields an applied object sets, by the kind's schema.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeploymentSchema } from '../../api/apps/schema.js';
import type { Schema } from '../schema/types.js';
import { FieldSet } from './field-set.js';
import { fieldSetOf, FieldSetError } from './to-field-set.js';

describe('FieldSet and FieldsV1', () => {
  it('writes children in upstream order — fields, keys, values, indexes — and "." first for a member with children', () => {
    const set = FieldSet.fromFieldsV1({
      'i:1': {},
      'v:true': {},
      'v:"ab"': {},
      'v:2': {},
      'k:{"port":443,"protocol":"tcp"}': {},
      'k:{"name":"first"}': {},
      'f:b': { 'f:c': {}, '.': {} },
      'f:aaa': {},
      'v:"aa"': {},
      'v:1': {},
      'k:{"port":80,"protocol":"tcp"}': {},
      'r:unknown': {},
    });
    assert.equal(
      set.toFieldsV1Json(),
      '{"f:aaa":{},"f:b":{".":{},"f:c":{}},"k:{\\"name\\":\\"first\\"}":{},"k:{\\"port\\":80,\\"protocol\\":\\"tcp\\"}":{},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{},"v:1":{},"v:2":{},"v:\\"aa\\"":{},"v:\\"ab\\"":{},"v:true":{},"i:1":{}}',
    );
  });

  it('union, difference and intersection by path', () => {
    const a = FieldSet.fromFieldsV1({ 'f:spec': { 'f:replicas': {}, 'f:paused': {} } });
    const b = FieldSet.fromFieldsV1({ 'f:spec': { 'f:replicas': {}, 'f:minReadySeconds': {} } });
    assert.equal(a.union(b).toFieldsV1Json(), '{"f:spec":{"f:minReadySeconds":{},"f:paused":{},"f:replicas":{}}}');
    assert.equal(a.difference(b).toFieldsV1Json(), '{"f:spec":{"f:paused":{}}}');
    assert.equal(a.intersection(b).toFieldsV1Json(), '{"f:spec":{"f:replicas":{}}}');
    assert.ok(a.difference(a).isEmpty());
    assert.equal(new FieldSet().toFieldsV1Json(), '{}');
  });
});

describe('fieldSetOf', () => {
  it("a Deployment applied with replicas, a selector and one container: upstream's Apply entry", () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
      },
    };
    const { apiVersion: _a, kind: _k, ...body } = deployment;
    assert.equal(
      fieldSetOf(body, DeploymentSchema).toFieldsV1Json(),
      '{"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}',
    );
  });

  const schema: Schema = {
    type: 'object',
    properties: {
      tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      args: { type: 'array', items: { type: 'string' } },
      limits: { type: 'object', 'x-kubernetes-map-type': 'atomic', additionalProperties: { type: 'string' } },
      empty: { type: 'object', properties: { a: { type: 'string' } } },
      nothing: { type: 'string', nullable: true },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'], items: { type: 'object', properties: { id: { type: 'string' } } } },
    },
  };
  const cases: { name: string; value: unknown; expected: string }[] = [
    { name: 'a set list: each value a member, the list not', value: { tags: ['b', 'a'] }, expected: '{"f:tags":{"v:\\"a\\"":{},"v:\\"b\\"":{}}}' },
    { name: 'an atomic list and an atomic map are leaves', value: { args: ['x'], limits: { cpu: '1' } }, expected: '{"f:args":{},"f:limits":{}}' },
    { name: 'an empty struct and a null are members', value: { empty: {}, nothing: null }, expected: '{"f:empty":{},"f:nothing":{}}' },
    { name: 'an empty associative list adds nothing', value: { tags: [] }, expected: '{}' },
    { name: 'unknown fields below preserve-unknown-fields: keys as members, lists atomic', value: { free: { a: { b: 1 }, l: [1] } }, expected: '{"f:free":{"f:a":{".":{},"f:b":{}},"f:l":{}}}' },
    { name: 'a duplicate item is owned by its key alone', value: { items: [{ id: 'x' }, { id: 'x' }] }, expected: '{"f:items":{"k:{\\"id\\":\\"x\\"}":{".":{},"f:id":{}}}}' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(fieldSetOf(c.value, schema).toFieldsV1Json(), c.expected));
  }

  it('a map-list item without its key and no default is an error, as upstream', () => {
    assert.throws(() => fieldSetOf({ items: [{}] }, schema), (err: Error) => err instanceof FieldSetError && /omits key field "id"/.test(err.message));
  });
});
