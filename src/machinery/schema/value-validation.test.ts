/**
 * Custom resources against structural schemas: a table of cases with the
 * messages kube-apiserver v1.32 gives (upstream's own test expectations
 * where it has them: apiextensions-apiserver's validation tests and its
 * integration tests), rendered as the 422 Status would carry them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderFieldError } from '../status.js';
import type { Schema } from './types.js';
import { validateCustomResourceValue } from './value-validation.js';
import { formatChecker } from './value-formats.js';

const object = (properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema => ({ type: 'object', properties, ...extra });
const spec = (properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema => object({ spec: object(properties, extra) });

interface Case {
  name: string;
  schema: Schema;
  value: unknown;
  expected: string[];
  reasons?: string[];
  root?: string;
}

const cases: Case[] = [
  { name: 'a valid object has no errors', schema: spec({ replicas: { type: 'integer' }, name: { type: 'string' } }), value: { spec: { replicas: 3, name: 'a' } }, expected: [] },
  {
    name: 'type: a string where an integer belongs (TypeInvalid, the JSON type quoted)',
    schema: spec({ replicas: { type: 'integer' } }),
    value: { spec: { replicas: 'three' } },
    expected: ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'],
    reasons: ['FieldValueTypeInvalid'],
  },
  { name: 'type: a fraction is a number, not an integer', schema: spec({ n: { type: 'integer' } }), value: { spec: { n: 1.5 } }, expected: ['spec.n: Invalid value: "number": spec.n in body must be of type integer: "number"'] },
  { name: 'type: an integer is a number', schema: spec({ n: { type: 'number' } }), value: { spec: { n: 2 } }, expected: [] },
  { name: 'type: null where an object belongs', schema: object({ field: { type: 'object' } }), value: { field: null }, expected: ['field: Invalid value: "null": field in body must be of type object: "null"'] },
  { name: 'nullable: null is fine', schema: object({ field: { type: 'object', nullable: true } }), value: { field: null }, expected: [] },
  {
    name: 'int-or-string: a boolean is neither',
    schema: spec({ port: { 'x-kubernetes-int-or-string': true } }),
    value: { spec: { port: true } },
    expected: ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"'],
  },
  { name: 'int-or-string: both kinds are fine', schema: spec({ a: { 'x-kubernetes-int-or-string': true }, b: { 'x-kubernetes-int-or-string': true } }), value: { spec: { a: 1, b: '50%' } }, expected: [] },
  {
    name: 'required (upstream: field.nested: Required value)',
    schema: object({ field: object({ nested: { type: 'string' } }, { required: ['nested'] }) }),
    value: { field: {} },
    expected: ['field.nested: Required value'],
    reasons: ['FieldValueRequired'],
  },
  {
    name: 'enum (upstream integration test: gamma)',
    schema: object({ gamma: { type: 'string', enum: ['foo', 'bar', 'baz'] } }),
    value: { gamma: 'qux' },
    expected: ['gamma: Unsupported value: "qux": supported values: "foo", "bar", "baz"'],
    reasons: ['FieldValueNotSupported'],
  },
  { name: 'enum of integers: the value bare, the supported ones quoted', schema: spec({ n: { type: 'integer', enum: [1, 2] } }), value: { spec: { n: 3 } }, expected: ['spec.n: Unsupported value: 3: supported values: "1", "2"'] },
  {
    name: 'a wrong type does not stop the enum check (upstream: nestedint)',
    schema: object({ field: object({ nestedint: { type: 'integer', enum: [1, 2] } }) }),
    value: { field: { nestedint: 'x' } },
    expected: ['field.nestedint: Invalid value: "string": field.nestedint in body must be of type integer: "string"', 'field.nestedint: Unsupported value: "x": supported values: "1", "2"'],
  },
  {
    name: 'pattern (the CronTab example of the docs)',
    schema: spec({ cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' } }),
    value: { spec: { cronSpec: '* * * *' } },
    expected: ['spec.cronSpec: Invalid value: "* * * *": spec.cronSpec in body should match \'^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$\''],
    reasons: ['FieldValueInvalid'],
  },
  { name: 'maxLength (upstream: fieldX: Too long)', schema: object({ fieldX: { type: 'string', maxLength: 2 } }), value: { fieldX: 'abc' }, expected: ['fieldX: Too long: may not be more than 2 bytes'], reasons: ['FieldValueTooLong'] },
  { name: 'maxLength counts characters, not bytes', schema: object({ s: { type: 'string', maxLength: 2 } }), value: { s: 'éé' }, expected: [] },
  { name: 'minLength', schema: spec({ name: { type: 'string', minLength: 3 } }), value: { spec: { name: 'ab' } }, expected: ['spec.name: Invalid value: "ab": spec.name in body should be at least 3 chars long'] },
  { name: 'string checks stop at the first that fails', schema: spec({ s: { type: 'string', minLength: 3, pattern: '^x' } }), value: { spec: { s: 'ab' } }, expected: ['spec.s: Invalid value: "ab": spec.s in body should be at least 3 chars long'] },
  { name: 'minimum (upstream integration test: beta)', schema: object({ beta: { type: 'integer', minimum: 10 } }), value: { beta: 5 }, expected: ['beta: Invalid value: 5: beta in body should be greater than or equal to 10'] },
  {
    name: 'maximum of a status checked on its own (upstream: status.num)',
    schema: object({ num: { type: 'integer', maximum: 10 } }),
    value: { num: 15 },
    root: 'status',
    expected: ['status.num: Invalid value: 15: num in body should be less than or equal to 10'],
  },
  { name: 'exclusive bounds', schema: spec({ a: { type: 'number', minimum: 0, exclusiveMinimum: true }, b: { type: 'number', maximum: 1, exclusiveMaximum: true } }), value: { spec: { a: 0, b: 1 } }, expected: ['spec.a: Invalid value: 0: spec.a in body should be greater than 0', 'spec.b: Invalid value: 1: spec.b in body should be less than 1'] },
  { name: 'multipleOf', schema: spec({ n: { type: 'integer', multipleOf: 5 } }), value: { spec: { n: 7 } }, expected: ['spec.n: Invalid value: 7: spec.n in body should be a multiple of 5'] },
  { name: 'minItems (the count as the value)', schema: spec({ a: { type: 'array', items: { type: 'string' }, minItems: 2 } }), value: { spec: { a: ['x'] } }, expected: ['spec.a: Invalid value: 1: spec.a in body should have at least 2 items'] },
  { name: 'maxItems (upstream: fieldX: Too many)', schema: object({ fieldX: { type: 'array', maxItems: 2 } }), value: { fieldX: [1, 2, 3] }, expected: ['fieldX: Too many: 3: must have at most 2 items'], reasons: ['FieldValueTooMany'] },
  { name: 'items are checked by index', schema: spec({ a: { type: 'array', items: { type: 'string' } } }), value: { spec: { a: ['x', 2] } }, expected: ['spec.a[1]: Invalid value: "integer": spec.a[1] in body must be of type string: "integer"'] },
  { name: 'map values by key, dotted', schema: spec({ labels: { type: 'object', additionalProperties: { type: 'string' } } }), value: { spec: { labels: { app: 1 } } }, expected: ['spec.labels.app: Invalid value: "integer": spec.labels.app in body must be of type string: "integer"'] },
  { name: 'minProperties', schema: spec({ m: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1 } }), value: { spec: { m: {} } }, expected: ['spec.m: Invalid value: 0: spec.m in body should have at least 1 properties'] },
  { name: 'maxProperties says items, as upstream', schema: spec({ m: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 2 } }), value: { spec: { m: { a: '1', b: '2', c: '3' } } }, expected: ['spec.m: Too many: 3: must have at most 2 items'] },
  { name: 'format: a bad email (TypeInvalid, the string as the value)', schema: spec({ email: { type: 'string', format: 'email' } }), value: { spec: { email: 'foo' } }, expected: ['spec.email: Invalid value: "foo": spec.email in body must be of type email: "foo"'] },
  { name: 'format: int32 and unknown formats are never checked', schema: spec({ a: { type: 'string', format: 'int32' }, b: { type: 'string', format: 'my-own' } }), value: { spec: { a: 'x', b: 'y' } }, expected: [] },
  { name: 'format: date-time', schema: spec({ at: { type: 'string', format: 'date-time' } }), value: { spec: { at: 'yesterday' } }, expected: ['spec.at: Invalid value: "yesterday": spec.at in body must be of type date-time: "yesterday"'] },
  {
    name: 'allOf (upstream: None validated, at the object)',
    schema: object({ field: { allOf: [{ type: 'string' }, { type: 'string', minLength: 5 }] } }),
    value: { field: 1 },
    expected: ['field: Invalid value: "integer": field in body must be of type string: "integer"', '<nil>: Invalid value: "": "field" must validate all the schemas (allOf). None validated'],
  },
  {
    name: 'anyOf: the message, then why the closest branch failed',
    schema: spec({ x: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\d+%$' }] } }),
    value: { spec: { x: '50' } },
    expected: ['<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)', 'spec.x: Invalid value: "string": spec.x in body must be of type integer: "string"'],
  },
  { name: 'oneOf: two valid alternatives', schema: spec({ x: { oneOf: [{ type: 'integer' }, { type: 'number' }] } }), value: { spec: { x: 1 } }, expected: ['<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found 2 valid alternatives'] },
  { name: 'not', schema: spec({ x: { not: { type: 'string' } } }), value: { spec: { x: 'a' } }, expected: ['<nil>: Invalid value: "": "spec.x" must not validate the schema (not)'] },
  { name: 'preserve-unknown-fields: anything below', schema: spec({ any: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }), value: { spec: { any: { deep: [1, { x: null }] } } }, expected: [] },
  { name: 'a type error at the root names the field <nil>', schema: { type: 'object' }, value: 'text', expected: ['<nil>: Invalid value: "string": body in body must be of type object: "string"'] },
];

describe('validateCustomResourceValue', () => {
  for (const c of cases) {
    it(c.name, () => {
      const errors = validateCustomResourceValue(c.schema, c.value, c.root ? { root: c.root } : {});
      assert.deepEqual(errors.map(renderFieldError), c.expected);
      if (c.reasons) assert.deepEqual(errors.map((e) => e.type), c.reasons);
    });
  }

  it('reports an error text once, wherever it comes from', () => {
    const schema = spec({ x: { allOf: [{ type: 'string' }, { type: 'string' }] } });
    const rendered = validateCustomResourceValue(schema, { spec: { x: 1 } }).map(renderFieldError);
    assert.equal(rendered.filter((line) => line.includes('must be of type string')).length, 1);
  });
});

describe('formatChecker', () => {
  const table: [string, string, boolean][] = [
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', true],
    ['uuid4', '123e4567-e89b-12d3-a456-426614174000', false],
    ['ipv4', '10.0.0.1', true],
    ['ipv4', '10.0.0.256', false],
    ['ipv6', '::1', true],
    ['cidr', '10.0.0.0/8', true],
    ['cidr', '10.0.0.0/33', false],
    ['mac', '0a:58:0a:2a:03:02', true],
    ['hostname', 'web-1.example.com', true],
    ['hostname', 'bad_name!', false],
    ['date', '2024-02-29', true],
    ['date', '2023-02-29', false],
    ['date-time', '2024-02-29T10:00:00Z', true],
    ['byte', 'aGVsbG8=', true],
    ['byte', 'not base64!', false],
    ['duration', '1h30m', true],
    ['duration', 'soon', false],
    ['creditcard', '4111 1111 1111 1111', true],
    ['isbn13', '978-0-306-40615-7', true],
    ['password', 'anything', true],
  ];
  for (const [format, text, valid] of table) {
    it(`${format}: ${JSON.stringify(text)} is ${valid ? 'valid' : 'invalid'}`, () => assert.equal(formatChecker(format)!(text), valid));
  }
  it('formats upstream drops have no checker', () => {
    for (const format of ['int32', 'int64', 'double', 'made-up']) assert.equal(formatChecker(format), undefined);
  });
});
