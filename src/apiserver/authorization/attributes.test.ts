/** Request attributes (attributes.ts): what authorizers are asked for a request, as upstream's RequestInfoFactory. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { parseResourcePath } from '../request-info.js';
import { requestAttributes } from './attributes.js';

const attributesOf = (method: string, url: string) => {
  const { pathname, searchParams } = new URL(url, 'https://skiff');
  return requestAttributes(method, pathname, searchParams, parseResourcePath(method, pathname, searchParams.get('watch') === 'true'));
};

const cases: [string, string, string, object][] = [
  ['a get', 'GET', '/api/v1/namespaces/team/pods/web', { verb: 'get', resourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: undefined, name: 'web', namespace: 'team' }],
  ['a subresource', 'POST', '/api/v1/namespaces/team/pods/web/eviction', { verb: 'create', resourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: 'eviction', name: 'web', namespace: 'team' }],
  ['a list narrowed to one name is about that name', 'GET', '/api/v1/namespaces/team/secrets?fieldSelector=metadata.name%3Ddb&watch=true', { verb: 'watch', resourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'secrets', subresource: undefined, name: 'db', namespace: 'team' }],
  ['a namespace is in itself', 'DELETE', '/api/v1/namespaces/team', { verb: 'delete', resourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'namespaces', subresource: undefined, name: 'team', namespace: 'team' }],
  ['a cluster-wide list', 'GET', '/apis/apps/v1/deployments', { verb: 'list', resourceRequest: true, apiGroup: 'apps', apiVersion: 'v1', resource: 'deployments', subresource: undefined, name: undefined, namespace: undefined }],
  ['discovery is a path', 'GET', '/apis/apps/v1', { verb: 'get', resourceRequest: false, path: '/apis/apps/v1' }],
  ['a path posted to', 'POST', '/skiff/anything', { verb: 'post', resourceRequest: false, path: '/skiff/anything' }],
];
for (const [name, method, url, expected] of cases) it(name, () => assert.deepEqual(attributesOf(method, url), expected));
