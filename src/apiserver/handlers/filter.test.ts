import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectableFieldsOf } from './filter.js';
import type { ResourceType } from '../../api/resource.js';

test('selectable fields are computed once per object, however many watchers ask', () => {
  let calls = 0;
  const type = { namespaced: true, selectableFields: (o: { spec?: { nodeName?: string } }) => (calls++, { 'spec.nodeName': o.spec?.nodeName ?? '' }) } as unknown as ResourceType;
  const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'node-1' } };
  for (let watcher = 0; watcher < 200; watcher++) assert.equal(selectableFieldsOf(type, pod)['spec.nodeName'], 'node-1');
  assert.equal(calls, 1);
  assert.deepEqual(selectableFieldsOf(type, { ...pod, spec: { nodeName: 'node-2' } }), { 'metadata.name': 'p', 'metadata.namespace': 'ns', 'spec.nodeName': 'node-2' });
});
