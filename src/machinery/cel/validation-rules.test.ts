/** CRD validation rules (validation-rules.ts): a table of schemas, objects and the errors upstream gives. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderFieldError } from '../status.js';
import type { Schema } from '../schema/types.js';
import { compileErrorsOf, validateRules, type ValidationRule } from './validation-rules.js';

const withRules = (rules: ValidationRule[], extra: Record<string, Schema> = {}): Schema =>
  ({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: { replicas: { type: 'integer' }, maxReplicas: { type: 'integer' }, image: { type: 'string' }, ...extra },
        'x-kubernetes-validations': rules,
      } as Schema,
    },
  }) as Schema;
const check = (schema: Schema, value: unknown, old?: unknown) => validateRules(schema, value, old).map(renderFieldError);

describe('validateRules', () => {
  const cases: { name: string; rules: ValidationRule[]; spec: unknown; old?: unknown; expected: string[] }[] = [
    { name: 'a rule that holds', rules: [{ rule: 'self.replicas <= self.maxReplicas' }], spec: { replicas: 1, maxReplicas: 2 }, expected: [] },
    {
      name: 'a rule that fails, with its message',
      rules: [{ rule: 'self.replicas <= self.maxReplicas', message: 'replicas must not exceed maxReplicas' }],
      spec: { replicas: 3, maxReplicas: 2 },
      expected: ['spec: Invalid value: "object": replicas must not exceed maxReplicas'],
    },
    { name: 'without a message: failed rule', rules: [{ rule: ' self.replicas <= self.maxReplicas ' }], spec: { replicas: 3, maxReplicas: 2 }, expected: ['spec: Invalid value: "object": failed rule: self.replicas <= self.maxReplicas'] },
    {
      name: 'messageExpression, reason and fieldPath',
      rules: [{ rule: 'self.replicas <= self.maxReplicas', messageExpression: '"at most " + string(self.maxReplicas)', reason: 'FieldValueForbidden', fieldPath: '.replicas' }],
      spec: { replicas: 3, maxReplicas: 2 },
      expected: ['spec.replicas: Forbidden: at most 2'],
    },
    { name: 'a missing field is an evaluation error', rules: [{ rule: 'self.replicas > 0' }], spec: { image: 'x' }, expected: ['spec: Invalid value: "object": no such key: replicas evaluating rule: self.replicas > 0'] },
    { name: 'a transition rule does not run on create', rules: [{ rule: 'self.image == oldSelf.image', message: 'image is immutable' }], spec: { image: 'b' }, expected: [] },
    { name: 'a transition rule runs on update', rules: [{ rule: 'self.image == oldSelf.image', message: 'image is immutable' }], spec: { image: 'b' }, old: { image: 'a' }, expected: ['spec: Invalid value: "object": image is immutable'] },
    {
      name: 'optionalOldSelf: on create oldSelf is none',
      rules: [{ rule: '!oldSelf.hasValue() || self.replicas >= oldSelf.value().replicas', optionalOldSelf: true, message: 'may only grow' }],
      spec: { replicas: 1 },
      expected: [],
    },
    {
      name: 'optionalOldSelf: on update it holds the old value',
      rules: [{ rule: '!oldSelf.hasValue() || self.replicas >= oldSelf.value().replicas', optionalOldSelf: true, message: 'may only grow' }],
      spec: { replicas: 1 },
      old: { replicas: 2 },
      expected: ['spec: Invalid value: "object": may only grow'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(check(withRules(c.rules), { spec: c.spec }, c.old === undefined ? undefined : { spec: c.old }), c.expected));
  }

  it('rules on map-list items see their old item by key', () => {
    const schema = withRules([], {
      ports: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.port == oldSelf.port', message: 'port is immutable' }] } as Schema,
      },
    });
    const old = { spec: { ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] } };
    assert.deepEqual(check(schema, { spec: { ports: [{ name: 'b', port: 3 }, { name: 'c', port: 4 }] } }, old), ['spec.ports[0]: Invalid value: "object": port is immutable']);
  });
});

describe('compileErrorsOf', () => {
  it('a syntax error and an undeclared field make the CRD invalid, at upstream paths', () => {
    const errors = compileErrorsOf(withRules([{ rule: 'self.replicas <=' }, { rule: 'self.replica > 0' }, { rule: 'self.replicas > 0' }]), 'spec.validation.openAPIV3Schema').map(renderFieldError);
    assert.equal(errors.length, 2);
    assert.match(errors[0], /^spec\.validation\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: apiextensions\.ValidationRule\{Rule:"self\.replicas <=", Message:"", MessageExpression:"", Reason:\(\*apiextensions\.FieldValueErrorReason\)\(nil\), FieldPath:"", OptionalOldSelf:\(\*bool\)\(nil\)\}: compilation failed: ERROR: <input>:1:17: Syntax error: /);
    assert.equal(errors[1].split(': compilation failed: ')[1], "ERROR: <input>:1:5: undefined field 'replica'\n | self.replica > 0\n | ....^");
  });
});

describe('the cost budget', () => {
  const listSchema = (rule: string): Schema =>
    ({ type: 'object', properties: { spec: { type: 'object', properties: { items: { type: 'array', items: { type: 'integer' } } }, 'x-kubernetes-validations': [{ rule }] } } }) as Schema;
  const items = Array.from({ length: 2000 }, (_, i) => i);

  it('a cheap rule over a long list runs', () => {
    assert.deepEqual(check(listSchema('self.items.all(x, x >= 0)'), { spec: { items } }), []);
  });

  it('a rule that loops over the list inside a loop over it is stopped at its limit', () => {
    assert.deepEqual(check(listSchema('self.items.all(x, self.items.all(y, x + y >= 0))'), { spec: { items } }), [
      'spec: Invalid value: "object": call cost exceeds limit for rule: self.items.all(x, self.items.all(y, x + y >= 0))',
    ]);
  });
});

describe('static cost estimates', () => {
  const lists = (rule: string, maxItems?: number): Schema =>
    ({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { items: { type: 'array', items: { type: 'string', maxLength: 10 }, ...(maxItems ? { maxItems } : {}) } },
          'x-kubernetes-validations': [{ rule }],
        },
      },
    }) as Schema;
  it('one loop over an unbounded list is affordable', () => {
    assert.deepEqual(compileErrorsOf(lists('self.items.all(x, x != "")'), 'spec.validation.openAPIV3Schema'), []);
  });
  it('a loop inside a loop over an unbounded list is refused with upstream message; maxItems makes it affordable', () => {
    assert.deepEqual(compileErrorsOf(lists('self.items.all(x, self.items.all(y, x != y))'), 'spec.validation.openAPIV3Schema').map(renderFieldError), [
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
      'spec.validation.openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
    ]);
    assert.deepEqual(compileErrorsOf(lists('self.items.all(x, self.items.all(y, x != y))', 100), 'spec.validation.openAPIV3Schema'), []);
  });
});
