import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterrolebindings, clusterroles, rolebindings, roles } from './rbac.js';
import type { RoleBinding } from './schema.js';
import { renderFieldError } from '../../machinery/status.js';

const created = '2024-01-01T00:00:00Z';

test('role names are path segments; rules need verbs, groups and resources', () => {
  const role = { metadata: { name: 'system:pod-reader', namespace: 'default', creationTimestamp: created }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] };
  assert.deepEqual(roles.validate!(role, { operation: 'create' }), []);
  assert.deepEqual(roles.table!.cells(role, new Date()), ['system:pod-reader', '2024-01-01T00:00:00Z']);
  const bad = { metadata: { name: 'a/b', namespace: 'default' }, rules: [{ verbs: [] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }] };
  assert.deepEqual(roles.validate!(bad, { operation: 'create' }).map(renderFieldError), [
    `metadata.name: Invalid value: "a/b": may not contain '/'`,
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[0].resources: Required value: resource rules must supply at least one resource',
    'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
  ]);
});

test('cluster roles: non-resource URLs and aggregation rules', () => {
  assert.deepEqual(clusterroles.validate!({ metadata: { name: 'health' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }, { operation: 'create' }), []);
  assert.deepEqual(clusterroles.validate!({ metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [] } }, { operation: 'create' }).map(renderFieldError), [
    'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
  ]);
});

const binding = (): RoleBinding => ({
  metadata: { name: 'read-pods', namespace: 'default', creationTimestamp: created },
  roleRef: { kind: 'Role', name: 'pod-reader' } as RoleBinding['roleRef'],
  subjects: [{ kind: 'User', name: 'jane' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'bot', namespace: 'ci' }, { kind: 'User', name: 'joe' }],
});

test('bindings: defaults, subjects, and the table', () => {
  const obj = binding();
  rolebindings.defaults!(obj);
  assert.equal(obj.roleRef.apiGroup, 'rbac.authorization.k8s.io');
  assert.deepEqual(obj.subjects!.map((s) => s.apiGroup), ['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', '', 'rbac.authorization.k8s.io']);
  assert.deepEqual(rolebindings.validate!(obj, { operation: 'create' }), []);
  assert.deepEqual(rolebindings.table!.cells(obj, new Date('2024-01-01T00:00:05Z')), ['read-pods', 'Role/pod-reader', '5s', 'jane, joe', 'devs', 'ci/bot']);
  assert.deepEqual(rolebindings.table!.columns.map((c) => [c.name, c.priority ?? 0]), [
    ['Name', 0], ['Role', 0], ['Age', 0], ['Users', 1], ['Groups', 1], ['ServiceAccounts', 1],
  ]);
});

test('cluster role bindings need ClusterRole and service account namespaces; roleRef is immutable', () => {
  const obj = { ...binding(), metadata: { name: 'admins' }, subjects: [{ kind: 'ServiceAccount', name: 'bot' }, { kind: 'Robot', name: 'r2' }] };
  clusterrolebindings.defaults!(obj);
  assert.deepEqual(clusterrolebindings.validate!(obj, { operation: 'create' }).map(renderFieldError), [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    'subjects[0].namespace: Required value',
    'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
  ]);
  const old = binding();
  rolebindings.defaults!(old);
  const next = structuredClone(old);
  next.roleRef.name = 'admin';
  assert.deepEqual(rolebindings.validateUpdate!(next, old).map((e) => e.detail), ['cannot change roleRef']);
});
