/** The registry's order of groups and versions, which discovery shows. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareKubeAwareVersions, Registry } from './registry.js';
import type { ResourceType } from './resource.js';

const type = (group: string, version: string, custom = false): ResourceType => ({
  group, version, kind: 'K', resource: 'ks', singular: 'k', namespaced: true, schema: {},
  ...(custom ? { customResource: { definitionName: `ks.${group}`, definitionUid: '', structuralSchema: {}, terminating: false } } : {}),
});

describe('Registry', () => {
  it('versions sort as upstream sorts them: GA, then beta, then alpha, higher first, others last', () => {
    const versions = ['foo1', 'v1alpha1', 'v1', 'v2beta1', 'v1beta2', 'v10', 'v2', 'v11alpha2', 'foo10', 'v12alpha1', 'v3beta1', 'v10beta3'];
    assert.deepEqual(versions.sort(compareKubeAwareVersions), ['v10', 'v2', 'v1', 'v10beta3', 'v3beta1', 'v2beta1', 'v1beta2', 'v12alpha1', 'v11alpha2', 'v1alpha1', 'foo1', 'foo10']);
  });

  it('built-in groups keep their order and first version; custom groups follow by name with their highest version preferred', () => {
    const registry = new Registry();
    registry.add(type('', 'v1'));
    registry.add(type('apps', 'v1'));
    registry.add(type('z.example.com', 'v1beta1', true));
    registry.add(type('a.example.com', 'v1', true));
    registry.add(type('z.example.com', 'v1', true));
    assert.deepEqual(registry.groups(), ['', 'apps', 'a.example.com', 'z.example.com']);
    assert.equal(registry.preferredVersion('z.example.com'), 'v1');
    assert.deepEqual(registry.versions('z.example.com'), ['v1', 'v1beta1']);
  });

  it('replace swaps types with one notification; a group with no types left is gone', () => {
    const registry = new Registry();
    const old = type('a.example.com', 'v1', true);
    registry.add(old);
    let notified = 0;
    registry.onChange(() => notified++);
    registry.replace([old], []);
    assert.equal(notified, 1);
    assert.deepEqual(registry.groups(), []);
    assert.equal(registry.preferredVersion('a.example.com'), undefined);
  });
});
