/** The default policy (bootstrap-policy/): spot checks that pin upstream v1.32's facts, and the policy's own consistency. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregatedRules } from '../aggregation.js';
import { ruleAllows, type RequestAttributes } from '../authorize.js';
import type { ClusterRole } from '../schema.js';
import { AUTOUPDATE_ANNOTATION, BOOTSTRAPPING_LABEL, bootstrapPolicy, controllerServiceAccounts } from './index.js';
import { rule } from './rule.js';

const policy = bootstrapPolicy();

/** The cluster roles as the aggregation controller leaves them (repeated until nothing changes, as its requeues do). */
function aggregated(roles: ClusterRole[]): ClusterRole[] {
  let current = roles;
  for (let round = 0; round < 5; round++) {
    current = current.map((role) => ({ ...role, rules: aggregatedRules(role, current) ?? role.rules }));
  }
  return current;
}
const clusterRoles = aggregated(policy.clusterRoles);

/** Whether the (aggregated) cluster role has a rule that allows the request. */
function roleAllows(roleName: string, verb: string, resource: string, extra: Partial<RequestAttributes> = {}): boolean {
  const attributes: RequestAttributes = { verb, resourceRequest: true, apiGroup: '', resource, namespace: 'team', name: 'x', ...extra };
  const role = clusterRoles.find((candidate) => candidate.metadata.name === roleName);
  assert.ok(role, roleName);
  return (role.rules ?? []).some((candidate) => ruleAllows(attributes, candidate));
}

const sortedNames = (objects: { metadata: { name?: string; namespace?: string } }[]) =>
  objects.map((object) => (object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name!)).sort();

// Upstream v1.32 with default feature gates (the testdata's cluster-roles.yaml and controller-roles.yaml).
const upstreamClusterRoles = [
  'admin',
  'cluster-admin',
  'edit',
  'system:aggregate-to-admin',
  'system:aggregate-to-edit',
  'system:aggregate-to-view',
  'system:auth-delegator',
  'system:basic-user',
  'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
  'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
  'system:certificates.k8s.io:kube-apiserver-client-approver',
  'system:certificates.k8s.io:kube-apiserver-client-kubelet-approver',
  'system:certificates.k8s.io:kubelet-serving-approver',
  'system:certificates.k8s.io:legacy-unknown-approver',
  'system:discovery',
  'system:heapster',
  'system:kube-aggregator',
  'system:kube-controller-manager',
  'system:kube-dns',
  'system:kube-scheduler',
  'system:kubelet-api-admin',
  'system:monitoring',
  'system:node',
  'system:node-bootstrapper',
  'system:node-problem-detector',
  'system:node-proxier',
  'system:persistent-volume-provisioner',
  'system:public-info-viewer',
  'system:service-account-issuer-discovery',
  'system:volume-scheduler',
  'view',
];
const upstreamControllers = [
  'attachdetach-controller',
  'certificate-controller',
  'clusterrole-aggregation-controller',
  'cronjob-controller',
  'daemon-set-controller',
  'deployment-controller',
  'disruption-controller',
  'endpoint-controller',
  'endpointslice-controller',
  'endpointslicemirroring-controller',
  'ephemeral-volume-controller',
  'expand-controller',
  'generic-garbage-collector',
  'horizontal-pod-autoscaler',
  'job-controller',
  'legacy-service-account-token-cleaner',
  'namespace-controller',
  'node-controller',
  'persistent-volume-binder',
  'pod-garbage-collector',
  'pv-protection-controller',
  'pvc-protection-controller',
  'replicaset-controller',
  'replication-controller',
  'resourcequota-controller',
  'root-ca-cert-publisher',
  'route-controller',
  'service-account-controller',
  'service-controller',
  'statefulset-controller',
  'ttl-after-finished-controller',
  'ttl-controller',
  'validatingadmissionpolicy-status-controller',
];
const upstreamClusterRoleBindings = [
  'cluster-admin',
  'system:basic-user',
  'system:discovery',
  'system:kube-controller-manager',
  'system:kube-dns',
  'system:kube-scheduler',
  'system:monitoring',
  'system:node',
  'system:node-proxier',
  'system:public-info-viewer',
  'system:service-account-issuer-discovery',
  'system:volume-scheduler',
];
const upstreamNamespaced = [
  'kube-public/system:controller:bootstrap-signer',
  'kube-system/system::leader-locking-kube-controller-manager',
  'kube-system/system::leader-locking-kube-scheduler',
  'kube-system/system:controller:bootstrap-signer',
  'kube-system/system:controller:cloud-provider',
  'kube-system/system:controller:token-cleaner',
];

describe('bootstrapPolicy: the names are upstream v1.32 ones', () => {
  const controllerNames = upstreamControllers.map((account) => `system:controller:${account}`);
  it('cluster roles', () => assert.deepEqual(sortedNames(policy.clusterRoles), [...upstreamClusterRoles, ...controllerNames].sort()));
  it('cluster role bindings', () => assert.deepEqual(sortedNames(policy.clusterRoleBindings), [...upstreamClusterRoleBindings, ...controllerNames].sort()));
  it('roles', () => assert.deepEqual(sortedNames(policy.roles), [...upstreamNamespaced, 'kube-system/extension-apiserver-authentication-reader'].sort()));
  it('role bindings', () => assert.deepEqual(sortedNames(policy.roleBindings), [...upstreamNamespaced, 'kube-system/system::extension-apiserver-authentication-reader'].sort()));
});

describe('bootstrapPolicy: what the roles grant', () => {
  const cases: [string, string, string, string, Partial<RequestAttributes>, boolean][] = [
    ['view gets pods', 'view', 'get', 'pods', {}, true],
    ['view lists deployments', 'view', 'list', 'deployments', { apiGroup: 'apps' }, true],
    ['view does not read secrets', 'view', 'get', 'secrets', {}, false],
    ['view does not exec', 'view', 'create', 'pods', { subresource: 'exec' }, false],
    ['view does not create pods', 'view', 'create', 'pods', {}, false],
    ['edit creates deployments', 'edit', 'create', 'deployments', { apiGroup: 'apps' }, true],
    ['edit reads secrets', 'edit', 'get', 'secrets', {}, true],
    ['edit gets pods (through view)', 'edit', 'get', 'pods', {}, true],
    ['edit scales statefulsets', 'edit', 'update', 'statefulsets', { apiGroup: 'apps', subresource: 'scale' }, true],
    ['edit manages leases', 'edit', 'update', 'leases', { apiGroup: 'coordination.k8s.io' }, true],
    ['edit does not read roles', 'edit', 'get', 'roles', { apiGroup: 'rbac.authorization.k8s.io' }, false],
    ['edit does not create rolebindings', 'edit', 'create', 'rolebindings', { apiGroup: 'rbac.authorization.k8s.io' }, false],
    ['edit does not write resource quotas', 'edit', 'update', 'resourcequotas', {}, false],
    ['admin creates rolebindings', 'admin', 'create', 'rolebindings', { apiGroup: 'rbac.authorization.k8s.io' }, true],
    ['admin creates deployments (through edit)', 'admin', 'create', 'deployments', { apiGroup: 'apps' }, true],
    ['admin does not write nodes', 'admin', 'update', 'nodes', { namespace: undefined }, false],
    ['system:node updates node status', 'system:node', 'update', 'nodes', { subresource: 'status', namespace: undefined }, true],
    ['system:node does not delete nodes', 'system:node', 'delete', 'nodes', { namespace: undefined }, false],
    ['system:node creates service account tokens', 'system:node', 'create', 'serviceaccounts', { subresource: 'token' }, true],
    ['the scheduler binds pods', 'system:kube-scheduler', 'create', 'pods', { subresource: 'binding' }, true],
    ['the scheduler updates only its own lease', 'system:kube-scheduler', 'update', 'leases', { apiGroup: 'coordination.k8s.io', name: 'kube-controller-manager' }, false],
    ['the garbage collector deletes anything', 'system:controller:generic-garbage-collector', 'delete', 'widgets', { apiGroup: 'example.com' }, true],
    ['the disruption controller reads any scale', 'system:controller:disruption-controller', 'get', 'widgets', { apiGroup: 'example.com', subresource: 'scale' }, true],
    ['cluster-admin does anything', 'cluster-admin', 'escalate', 'clusterroles', { apiGroup: 'rbac.authorization.k8s.io' }, true],
  ];
  for (const [name, role, verb, resource, extra, allowed] of cases) it(name, () => assert.equal(roleAllows(role, verb, resource, extra), allowed));

  it('grants the paths of discovery, health and OIDC', () => {
    const pathAllowed = (role: string, path: string) =>
      clusterRoles.find((candidate) => candidate.metadata.name === role)!.rules!.some((candidate) => ruleAllows({ verb: 'get', resourceRequest: false, path }, candidate));
    assert.ok(pathAllowed('system:public-info-viewer', '/version'));
    assert.ok(!pathAllowed('system:public-info-viewer', '/metrics'));
    assert.ok(pathAllowed('system:discovery', '/apis/apps/v1'));
    assert.ok(pathAllowed('system:monitoring', '/readyz/etcd'));
    assert.ok(pathAllowed('system:service-account-issuer-discovery', '/openid/v1/jwks'));
  });
});

describe('bootstrapPolicy: the objects', () => {
  const clusterRole = (name: string) => policy.clusterRoles.find((role) => role.metadata.name === name)!;
  const clusterRoleBinding = (name: string) => policy.clusterRoleBindings.find((binding) => binding.metadata.name === name)!;

  it('cluster-admin is bound to system:masters', () => {
    assert.deepEqual(clusterRoleBinding('cluster-admin').subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' }]);
    assert.deepEqual(clusterRoleBinding('cluster-admin').roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' });
  });

  it('binds the well-known users and groups', () => {
    const subjectsOf = (name: string) => (clusterRoleBinding(name).subjects ?? []).map((subject) => `${subject.kind}:${subject.namespace ? `${subject.namespace}/` : ''}${subject.name}`);
    assert.deepEqual(subjectsOf('system:public-info-viewer'), ['Group:system:authenticated', 'Group:system:unauthenticated']);
    assert.deepEqual(subjectsOf('system:discovery'), ['Group:system:authenticated']);
    assert.deepEqual(subjectsOf('system:basic-user'), ['Group:system:authenticated']);
    assert.deepEqual(subjectsOf('system:monitoring'), ['Group:system:monitoring']);
    assert.deepEqual(subjectsOf('system:node-proxier'), ['User:system:kube-proxy']);
    assert.deepEqual(subjectsOf('system:volume-scheduler'), ['User:system:kube-scheduler']);
    assert.deepEqual(subjectsOf('system:kube-dns'), ['ServiceAccount:kube-system/kube-dns']);
    assert.deepEqual(subjectsOf('system:service-account-issuer-discovery'), ['Group:system:serviceaccounts']);
    // Deprecated in favour of the Node authorizer: the binding exists without subjects.
    assert.equal(clusterRoleBinding('system:node').subjects, undefined);
  });

  it('aggregates admin, edit and view by label', () => {
    const selectors = (name: string) => clusterRole(name).aggregationRule?.clusterRoleSelectors;
    assert.deepEqual(selectors('admin'), [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }]);
    assert.deepEqual(selectors('edit'), [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }]);
    assert.deepEqual(selectors('view'), [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }]);
    // Filled from the start, as the aggregation controller would (view into edit into admin).
    const allows = (role: string, verb: string, resource: string, group = '') => clusterRole(role).rules!.some((rule) => ruleAllows({ verb, resourceRequest: true, apiGroup: group, resource, namespace: 'team' }, rule));
    assert.ok(allows('view', 'list', 'pods') && !allows('view', 'get', 'secrets'));
    assert.ok(allows('edit', 'list', 'pods') && allows('edit', 'delete', 'pods') && !allows('edit', 'create', 'rolebindings', 'rbac.authorization.k8s.io'));
    assert.ok(allows('admin', 'list', 'pods') && allows('admin', 'create', 'rolebindings', 'rbac.authorization.k8s.io'));
    assert.equal(clusterRole('edit').metadata.labels!['rbac.authorization.k8s.io/aggregate-to-admin'], 'true');
    assert.equal(clusterRole('view').metadata.labels!['rbac.authorization.k8s.io/aggregate-to-edit'], 'true');
    assert.equal(clusterRole('system:aggregate-to-view').metadata.labels!['rbac.authorization.k8s.io/aggregate-to-view'], 'true');
  });

  it('every object has kind, apiVersion and the bootstrapping metadata', () => {
    const all = [...policy.clusterRoles, ...policy.clusterRoleBindings, ...policy.roles, ...policy.roleBindings];
    for (const object of all) {
      assert.equal(object.apiVersion, 'rbac.authorization.k8s.io/v1', object.metadata.name);
      assert.ok(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(object.kind!), object.metadata.name);
      assert.equal(object.metadata.labels?.[BOOTSTRAPPING_LABEL], 'rbac-defaults', object.metadata.name);
      assert.deepEqual(object.metadata.annotations, { [AUTOUPDATE_ANNOTATION]: 'true' }, object.metadata.name);
    }
  });

  it('every binding refers to a role of the policy', () => {
    const clusterRoleNames = new Set(policy.clusterRoles.map((role) => role.metadata.name));
    for (const binding of policy.clusterRoleBindings) assert.ok(clusterRoleNames.has(binding.roleRef.name), binding.metadata.name);
    for (const binding of policy.roleBindings) {
      assert.equal(binding.roleRef.kind, 'Role');
      assert.ok(policy.roles.some((role) => role.metadata.name === binding.roleRef.name && role.metadata.namespace === binding.metadata.namespace), binding.metadata.name);
    }
  });

  it("binds each controller's role to its service account in kube-system", () => {
    assert.equal(controllerServiceAccounts.size, upstreamControllers.length);
    for (const [account, roleName] of controllerServiceAccounts) {
      assert.ok(clusterRole(roleName), roleName);
      assert.deepEqual(clusterRoleBinding(roleName).subjects, [{ kind: 'ServiceAccount', name: account, namespace: 'kube-system' }]);
      assert.equal(clusterRoleBinding(roleName).roleRef.name, roleName);
    }
    assert.equal(controllerServiceAccounts.get('generic-garbage-collector'), 'system:controller:generic-garbage-collector');
  });

  it('binds leader election and the authentication reader in kube-system', () => {
    const binding = (name: string) => policy.roleBindings.find((candidate) => candidate.metadata.namespace === 'kube-system' && candidate.metadata.name === name)!;
    assert.deepEqual(binding('system::extension-apiserver-authentication-reader').roleRef.name, 'extension-apiserver-authentication-reader');
    assert.deepEqual(
      binding('system::leader-locking-kube-controller-manager').subjects!.map((subject) => subject.name),
      ['system:kube-controller-manager', 'kube-controller-manager', 'leader-election-controller'],
    );
  });

  it('hands out fresh objects', () => {
    bootstrapPolicy().clusterRoles[0].rules!.push({ verbs: ['get'], nonResourceURLs: ['/x'] });
    bootstrapPolicy().clusterRoles.find((role) => role.metadata.name === 'system:controller:ttl-controller')!.rules!.length = 0;
    assert.equal(bootstrapPolicy().clusterRoles[0].rules!.length, 2);
    assert.ok(bootstrapPolicy().clusterRoles.find((role) => role.metadata.name === 'system:controller:ttl-controller')!.rules!.length > 0);
  });
});

describe('rule', () => {
  it('sorts like upstream and refuses malformed rules', () => {
    assert.deepEqual(rule('watch', 'get').groups('extensions', 'apps').resources('replicasets').build(), { verbs: ['get', 'watch'], apiGroups: ['apps', 'extensions'], resources: ['replicasets'] });
    assert.deepEqual(rule('get').urls('/b', '/a').build(), { verbs: ['get'], nonResourceURLs: ['/a', '/b'] });
    assert.throws(() => rule('get').resources('pods').build(), /needs apiGroups/);
    assert.throws(() => rule().groups('').resources('pods').build(), /needs verbs/);
    assert.throws(() => rule('get').groups('').resources('pods').urls('/x').build(), /non-resource rule/);
  });
});
