/** x-kubernetes-list-type set and map duplicates (list-types.ts), with upstream's messages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderFieldError } from '../status.js';
import type { Schema } from './types.js';
import { validateListTypes } from './list-types.js';

const schema: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        pairs: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'object', properties: { a: { type: 'integer' } } } },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        },
        routes: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['host', 'port'],
          items: { type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer' } } },
        },
        atomic: { type: 'array', items: { type: 'string' } },
        byName: { type: 'object', additionalProperties: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'integer' } } },
      },
    },
  },
};

const cases: { name: string; value: unknown; expected: string[] }[] = [
  { name: 'no duplicates, no errors; atomic lists are not checked', value: { spec: { tags: ['a', 'b'], ports: [{ name: 'http' }, { name: 'https' }], atomic: ['x', 'x'] } }, expected: [] },
  { name: 'a set reports a repeated scalar once, at its second place', value: { spec: { tags: ['a', 'b', 'a', 'a'] } }, expected: ['spec.tags[2]: Duplicate value: "a"'] },
  {
    name: 'a set reports each repeated object',
    value: { spec: { pairs: [{ a: 1 }, { a: 1 }, { a: 1 }] } },
    expected: ['spec.pairs[1]: Duplicate value: map[string]interface {}{"a":1}', 'spec.pairs[2]: Duplicate value: map[string]interface {}{"a":1}'],
  },
  { name: 'a map: the key fields as the value', value: { spec: { ports: [{ name: 'http', port: 80 }, { name: 'http', port: 8080 }] } }, expected: ['spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}'] },
  {
    name: 'a map with two keys: both must match',
    value: { spec: { routes: [{ host: 'a', port: 1 }, { host: 'a', port: 2 }, { host: 'a', port: 1 }] } },
    expected: ['spec.routes[2]: Duplicate value: map[string]interface {}{"host":"a", "port":1}'],
  },
  { name: 'a map item that is not an object', value: { spec: { ports: ['http'] } }, expected: ['spec.ports[0]: Invalid value: "http": must be an object for an array of list-type map'] },
  { name: 'map entries are named by key in brackets', value: { spec: { byName: { web: [1, 1] } } }, expected: ['spec.byName[web][1]: Duplicate value: 1'] },
];

describe('validateListTypes', () => {
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(validateListTypes(schema, c.value).map(renderFieldError), c.expected));
  }
});
