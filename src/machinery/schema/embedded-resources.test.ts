/** x-kubernetes-embedded-resource checks (embedded-resources.ts), with upstream's messages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderFieldError } from '../status.js';
import type { Schema } from './types.js';
import { validateEmbeddedResources } from './embedded-resources.js';

const schema: Schema = {
  type: 'object',
  'x-kubernetes-embedded-resource': true,
  properties: {
    spec: {
      type: 'object',
      properties: {
        t: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        list: { type: 'array', items: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } },
      },
    },
  },
};

const cases: { name: string; value: unknown; expected: string[] }[] = [
  { name: 'a complete embedded object, without a name', value: { spec: { t: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { labels: { a: 'b' } } } } }, expected: [] },
  { name: 'the root is not checked here', value: { spec: {} }, expected: [] },
  { name: 'apiVersion and kind are required', value: { spec: { t: {} } }, expected: ['spec.t.apiVersion: Required value: must not be empty', 'spec.t.kind: Required value: must not be empty'] },
  { name: 'not strings, or empty', value: { spec: { t: { apiVersion: 1, kind: '' } } }, expected: ['spec.t.apiVersion: Invalid value: 1: must be a string', 'spec.t.kind: Invalid value: "": must not be empty'] },
  { name: 'a group version with two slashes', value: { spec: { t: { apiVersion: 'a/b/c', kind: 'X' } } }, expected: ['spec.t.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c'] },
  {
    name: 'a kind that is no DNS-1035 label, mixed case aside',
    value: { spec: { t: { apiVersion: 'v1', kind: 'a_b' } } },
    expected: [
      "spec.t.kind: Invalid value: \"a_b\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ],
  },
  { name: 'metadata names are path segments', value: { spec: { list: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a/b' } }] } }, expected: ["spec.list[0].metadata.name: Invalid value: \"a/b\": may not contain '/'"] },
];

describe('validateEmbeddedResources', () => {
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(validateEmbeddedResources(schema, c.value).map(renderFieldError), c.expected));
  }
});
