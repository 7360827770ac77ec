import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResourcePath } from './request-info.js';

test('core namespaced object', () => {
  assert.deepEqual(parseResourcePath('GET', '/api/v1/namespaces/default/pods/web', false), {
    apiPrefix: 'api', group: '', version: 'v1', namespace: 'default', resource: 'pods', name: 'web', subresource: undefined, verb: 'get',
  });
});

test('list across namespaces and watch via query or legacy prefix', () => {
  assert.equal(parseResourcePath('GET', '/apis/apps/v1/deployments', false)?.verb, 'list');
  assert.equal(parseResourcePath('GET', '/apis/apps/v1/deployments', true)?.verb, 'watch');
  const legacy = parseResourcePath('GET', '/api/v1/watch/namespaces/kube-system/configmaps', false);
  assert.equal(legacy?.verb, 'watch');
  assert.equal(legacy?.namespace, 'kube-system');
  assert.equal(legacy?.resource, 'configmaps');
});

test('namespaces are resources, with status and finalize subresources', () => {
  const ns = parseResourcePath('GET', '/api/v1/namespaces/foo', false);
  assert.equal(ns?.resource, 'namespaces');
  assert.equal(ns?.name, 'foo');
  assert.equal(ns?.namespace, undefined);
  const finalize = parseResourcePath('PUT', '/api/v1/namespaces/foo/finalize', false);
  assert.equal(finalize?.resource, 'namespaces');
  assert.equal(finalize?.name, 'foo');
  assert.equal(finalize?.subresource, 'finalize');
  assert.equal(finalize?.verb, 'update');
});

test('subresources and verbs by method', () => {
  const scale = parseResourcePath('PATCH', '/apis/apps/v1/namespaces/a/deployments/d/scale', false);
  assert.equal(scale?.subresource, 'scale');
  assert.equal(scale?.verb, 'patch');
  assert.equal(parseResourcePath('DELETE', '/api/v1/namespaces/a/configmaps', false)?.verb, 'deletecollection');
  assert.equal(parseResourcePath('DELETE', '/api/v1/namespaces/a/configmaps/c', false)?.verb, 'delete');
  assert.equal(parseResourcePath('POST', '/api/v1/namespaces/a/configmaps', false)?.verb, 'create');
});

test('non-resource paths are not resource requests', () => {
  assert.equal(parseResourcePath('GET', '/api/v1', false), undefined);
  assert.equal(parseResourcePath('GET', '/apis/apps', false), undefined);
  assert.equal(parseResourcePath('GET', '/healthz', false), undefined);
});
