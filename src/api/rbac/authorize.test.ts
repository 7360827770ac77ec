/** RBAC's decision (authorize.ts): a table of rules and requests, then bindings and users, as upstream decides them. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authorize, forbiddenReason, ruleAllows, type Policy, type RequestAttributes } from './authorize.js';
import type { PolicyRule } from './schema.js';

const request = (verb: string, resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => ({ verb, resourceRequest: true, apiGroup: '', resource, namespace: 'team', ...extra });

describe('ruleAllows', () => {
  const cases: [string, PolicyRule, RequestAttributes, boolean][] = [
    ['exact verb, group and resource', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, request('get', 'pods'), true],
    ['another verb', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, request('delete', 'pods'), false],
    ['another group', { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, request('get', 'pods'), false],
    ['stars', { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, request('delete', 'deployments', { apiGroup: 'apps' }), true],
    ['a subresource needs naming', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, request('get', 'pods', { subresource: 'log' }), false],
    ['resource/subresource', { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, request('get', 'pods', { subresource: 'log' }), true],
    ['*/subresource', { verbs: ['update'], apiGroups: ['*'], resources: ['*/scale'] }, request('update', 'deployments', { apiGroup: 'apps', subresource: 'scale' }), true],
    ['* covers subresources', { verbs: ['get'], apiGroups: [''], resources: ['*'] }, request('get', 'pods', { subresource: 'status' }), true],
    ['resourceNames: the named one', { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'] }, request('get', 'configmaps', { name: 'app' }), true],
    ['resourceNames: another', { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'] }, request('get', 'configmaps', { name: 'other' }), false],
    ['resourceNames: a list has no name', { verbs: ['list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'] }, request('list', 'configmaps'), false],
    ['a path', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, { verb: 'get', resourceRequest: false, path: '/healthz' }, true],
    ['a path prefix', { verbs: ['get'], nonResourceURLs: ['/healthz/*'] }, { verb: 'get', resourceRequest: false, path: '/healthz/etcd' }, true],
    ['not that path', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, { verb: 'get', resourceRequest: false, path: '/metrics' }, false],
    ['resource rules do not grant paths', { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verb: 'get', resourceRequest: false, path: '/metrics' }, false],
  ];
  for (const [name, rule, attributes, allowed] of cases) it(name, () => assert.equal(ruleAllows(attributes, rule), allowed));
});

describe('authorize', () => {
  const policy: Policy = {
    clusterRoles: [{ metadata: { name: 'view' }, rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods', 'configmaps'] }] }],
    roles: [{ metadata: { name: 'editor', namespace: 'team' }, rules: [{ verbs: ['*'], apiGroups: [''], resources: ['configmaps'] }] }],
    clusterRoleBindings: [{ metadata: { name: 'ops-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'ops' }] }],
    roleBindings: [
      { metadata: { name: 'alice-view', namespace: 'team' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice' }] },
      { metadata: { name: 'bot-edit', namespace: 'team' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'editor' }, subjects: [{ kind: 'ServiceAccount', name: 'bot' }] },
    ],
  };
  const alice = { name: 'alice', groups: ['system:authenticated'] };
  const cases: [string, { name: string; groups: string[] }, RequestAttributes, boolean][] = [
    ['a RoleBinding of a ClusterRole grants in its namespace', alice, request('list', 'pods'), true],
    ['…not in another', alice, request('list', 'pods', { namespace: 'other' }), false],
    ['…and not cluster-wide', alice, request('list', 'pods', { namespace: undefined }), false],
    ['view does not delete', alice, request('delete', 'pods', { name: 'x' }), false],
    ['a group through a ClusterRoleBinding, everywhere', { name: 'bob', groups: ['ops'] }, request('get', 'configmaps', { namespace: 'other', name: 'x' }), true],
    ["a ServiceAccount subject without a namespace is of the binding's", { name: 'system:serviceaccount:team:bot', groups: [] }, request('delete', 'configmaps', { name: 'x' }), true],
    ['…not a same-named account elsewhere', { name: 'system:serviceaccount:other:bot', groups: [] }, request('delete', 'configmaps', { namespace: 'other', name: 'x' }), false],
  ];
  for (const [name, user, attributes, allowed] of cases) it(name, () => assert.equal(authorize(attributes, user, policy).allowed, allowed));

  it('says what granted it', () => {
    assert.equal(authorize(request('list', 'pods'), alice, policy).reason, 'RBAC: allowed by RoleBinding "alice-view" in namespace "team" of ClusterRole "view" to User "alice"');
  });
});

describe('forbiddenReason', () => {
  it('words a refusal as upstream does', () => {
    const alice = { name: 'alice', groups: [] };
    assert.equal(forbiddenReason(request('delete', 'pods', { name: 'x' }), alice), 'User "alice" cannot delete resource "pods" in API group "" in the namespace "team"');
    assert.equal(forbiddenReason(request('list', 'nodes', { namespace: undefined }), alice), 'User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
    assert.equal(forbiddenReason(request('get', 'pods', { subresource: 'log' }), alice), 'User "alice" cannot get resource "pods/log" in API group "" in the namespace "team"');
    assert.equal(forbiddenReason({ verb: 'get', resourceRequest: false, path: '/metrics' }, alice), 'User "alice" cannot get path "/metrics"');
  });
});
