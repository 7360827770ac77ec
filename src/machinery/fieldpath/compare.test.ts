/** What a write changed, by path (compare.ts), as server-side apply counts an Update. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeploymentSchema } from '../../api/apps/schema.js';
import type { Schema } from '../schema/types.js';
import { compareObjects } from './compare.js';

const schema: Schema = {
  type: 'object',
  properties: {
    data: { type: 'object', additionalProperties: { type: 'string' } },
    args: { type: 'array', items: { type: 'string' } },
    tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    selector: { type: 'object', 'x-kubernetes-map-type': 'atomic', additionalProperties: { type: 'string' } },
  },
};

function changes(old: unknown, next: unknown, s: Schema = schema) {
  const { added, modified, removed } = compareObjects(old, next, s);
  return { added: added.toFieldsV1Json(), modified: modified.toFieldsV1Json(), removed: removed.toFieldsV1Json() };
}

describe('compareObjects', () => {
  it('a new map is added with its entries ("." marks the map itself)', () => {
    assert.deepEqual(changes({}, { data: { a: '1', b: '2' } }), { added: '{"f:data":{".":{},"f:a":{},"f:b":{}}}', modified: '{}', removed: '{}' });
  });
  it('a changed entry is modified, a dropped one removed, the map itself neither', () => {
    assert.deepEqual(changes({ data: { a: '1', b: '2' } }, { data: { a: 'x', c: '3' } }), { added: '{"f:data":{"f:c":{}}}', modified: '{"f:data":{"f:a":{}}}', removed: '{"f:data":{"f:b":{}}}' });
  });
  it('atomic lists and maps change as a whole; a set by its values', () => {
    assert.deepEqual(changes({ args: ['a'], selector: { x: '1' }, tags: ['a', 'b'] }, { args: ['a', 'b'], selector: { x: '2' }, tags: ['b', 'c'] }), {
      added: '{"f:tags":{"v:\\"c\\"":{}}}',
      modified: '{"f:args":{},"f:selector":{}}',
      removed: '{"f:tags":{"v:\\"a\\"":{}}}',
    });
  });
  it('nothing changed, nothing counted', () => {
    const value = { data: { a: '1' }, args: ['x'], tags: ['t'] };
    assert.deepEqual(changes(value, structuredClone(value)), { added: '{}', modified: '{}', removed: '{}' });
  });
  it('a container changed in a Deployment is found by its name', () => {
    const deployment = (image: string) => ({ spec: { template: { spec: { containers: [{ name: 'web', image }, { name: 'side', image: 'busybox' }] } } } });
    assert.deepEqual(changes(deployment('nginx:1'), deployment('nginx:2'), DeploymentSchema), {
      added: '{}',
      modified: '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{"f:image":{}}}}}}}',
      removed: '{}',
    });
  });
});
