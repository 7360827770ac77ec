/** Reconciliation of the default policy (reconcile.ts): tables of stored and expected objects, and what is to be written. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRole, PolicyRule, Role, RoleBinding, Subject } from '../schema.js';
import { AUTOUPDATE_ANNOTATION, BOOTSTRAPPING_LABEL } from './objects.js';
import { reconcileBinding, reconcileClusterRole, reconcileRole, type ReconcileAction } from './reconcile.js';

const defaults = { labels: { [BOOTSTRAPPING_LABEL]: 'rbac-defaults' }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } };
const getPods: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
const readPods: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
const listPods: PolicyRule = { verbs: ['list'], apiGroups: [''], resources: ['pods'] };
const readSecrets: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['secrets'] };
const toView = { matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } };
const toExtra = { matchLabels: { 'example.com/aggregate': 'true' } };

const role = (metadata: Partial<ClusterRole['metadata']>, rules?: PolicyRule[], selectors?: object[]): ClusterRole => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'r', ...metadata },
  ...(rules ? { rules } : {}),
  ...(selectors ? { aggregationRule: { clusterRoleSelectors: selectors } } : {}),
});
const stored = { resourceVersion: '7', uid: 'u1' };

describe('reconcileClusterRole', () => {
  const expected = role(defaults, [readPods]);
  const cases: [string, ClusterRole | undefined, ClusterRole, ReconcileAction<ClusterRole>][] = [
    ['missing: created', undefined, expected, { kind: 'create', object: expected }],
    ['identical: nothing', role({ ...defaults, ...stored }, [readPods]), expected, { kind: 'none' }],
    ['covered by broader rules: nothing', role({ ...defaults, ...stored }, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]), expected, { kind: 'none' }],
    [
      'a missing verb: appended as the uncovered atom',
      role({ ...defaults, ...stored }, [getPods]),
      expected,
      { kind: 'update', object: role({ ...defaults, ...stored }, [getPods, listPods]) },
    ],
    ['extra user rules are kept', role({ ...defaults, ...stored }, [readPods, readSecrets]), expected, { kind: 'none' }],
    [
      'missing metadata added, stored values win',
      role({ ...stored, labels: { team: 'a' }, annotations: { [AUTOUPDATE_ANNOTATION]: 'yes please' } }, [readPods]),
      expected,
      {
        kind: 'update',
        object: role({ ...stored, labels: { [BOOTSTRAPPING_LABEL]: 'rbac-defaults', team: 'a' }, annotations: { [AUTOUPDATE_ANNOTATION]: 'yes please' } }, [readPods]),
      },
    ],
    ['autoupdate "false": left alone', role({ ...stored, annotations: { [AUTOUPDATE_ANNOTATION]: 'false' } }, []), expected, { kind: 'none' }],
    [
      'aggregation: a missing selector is appended, extra ones kept',
      role({ ...defaults, ...stored }, undefined, [toExtra]),
      role(defaults, undefined, [toView]),
      { kind: 'update', object: role({ ...defaults, ...stored }, undefined, [toExtra, toView]) },
    ],
    [
      'aggregation: aggregated rules are not the policy’s concern',
      role({ ...defaults, ...stored }, [readSecrets], [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, matchExpressions: [] }]),
      role(defaults, undefined, [toView]),
      { kind: 'none' },
    ],
    [
      'aggregation the policy does not expect is removed (as upstream)',
      role({ ...defaults, ...stored }, [readPods], [toExtra]),
      expected,
      { kind: 'update', object: role({ ...defaults, ...stored }, [readPods]) },
    ],
  ];
  for (const [name, existing, wanted, action] of cases) it(name, () => assert.deepEqual(reconcileClusterRole(existing, wanted), action));

  it('does not change its inputs', () => {
    const existing = role({ ...stored }, [getPods]);
    const before = structuredClone(existing);
    const action = reconcileClusterRole(existing, expected);
    assert.equal(action.kind, 'update');
    assert.deepEqual(existing, before);
  });
});

describe('reconcileRole', () => {
  const namespaced = (metadata: Partial<Role['metadata']>, rules: PolicyRule[]): Role => ({ kind: 'Role', metadata: { name: 'r', namespace: 'kube-system', ...metadata }, rules });
  const expected = namespaced(defaults, [readPods]);
  const cases: [string, Role | undefined, ReconcileAction<Role>][] = [
    ['missing: created', undefined, { kind: 'create', object: expected }],
    ['up to date: nothing', namespaced({ ...defaults, ...stored }, [readPods, readSecrets]), { kind: 'none' }],
    ['missing rules appended', namespaced({ ...defaults, ...stored }, [readSecrets]), { kind: 'update', object: namespaced({ ...defaults, ...stored }, [readSecrets, getPods, listPods]) }],
    ['protected', namespaced({ annotations: { [AUTOUPDATE_ANNOTATION]: 'false' } }, []), { kind: 'none' }],
  ];
  for (const [name, existing, action] of cases) it(name, () => assert.deepEqual(reconcileRole(existing, expected), action));
});

describe('reconcileBinding', () => {
  const masters: Subject = { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' };
  const alice: Subject = { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' };
  const dns: Subject = { kind: 'ServiceAccount', name: 'kube-dns', namespace: 'kube-system' };
  const binding = (metadata: Partial<RoleBinding['metadata']>, subjects: Subject[] | undefined, roleName = 'cluster-admin'): RoleBinding => ({
    kind: 'ClusterRoleBinding',
    metadata: { name: 'cluster-admin', ...metadata },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    ...(subjects ? { subjects } : {}),
  });
  const expected = binding(defaults, [masters]);
  const cases: [string, RoleBinding | undefined, RoleBinding, ReconcileAction<RoleBinding>][] = [
    ['missing: created', undefined, expected, { kind: 'create', object: expected }],
    ['up to date: nothing', binding({ ...defaults, ...stored }, [masters]), expected, { kind: 'none' }],
    ['extra subjects kept', binding({ ...defaults, ...stored }, [alice, masters]), expected, { kind: 'none' }],
    ['missing subjects appended', binding({ ...defaults, ...stored }, [alice]), expected, { kind: 'update', object: binding({ ...defaults, ...stored }, [alice, masters]) }],
    ['no subjects yet', binding({ ...defaults, ...stored }, undefined), expected, { kind: 'update', object: binding({ ...defaults, ...stored }, [masters]) }],
    [
      'a service account without apiGroup equals one with an empty apiGroup',
      binding({ ...defaults, ...stored }, [{ ...dns, apiGroup: '' }]),
      binding(defaults, [dns]),
      { kind: 'none' },
    ],
    ['missing metadata added', binding({ ...stored }, [masters]), expected, { kind: 'update', object: binding({ ...defaults, ...stored }, [masters]) }],
    ['another roleRef: recreated as expected', binding({ ...defaults, ...stored }, [masters], 'view'), expected, { kind: 'recreate', object: expected }],
    ['protected, even with another roleRef', binding({ ...stored, annotations: { [AUTOUPDATE_ANNOTATION]: 'false' } }, [], 'view'), expected, { kind: 'none' }],
    ['an expected binding without subjects changes nothing', binding({ ...defaults, ...stored }, [alice]), binding(defaults, undefined), { kind: 'none' }],
  ];
  for (const [name, existing, wanted, action] of cases) it(name, () => assert.deepEqual(reconcileBinding(existing, wanted), action));
});
