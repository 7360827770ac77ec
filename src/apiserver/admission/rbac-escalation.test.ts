/** Escalation prevention (rbac-escalation.ts): roles and bindings within what their writer holds, or with escalate / bind. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyIndex, type Policy, type RequestAttributes } from '../../api/rbac/authorize.js';
import type { ResourceType } from '../../api/resource.js';
import { clusterrolebindings, clusterroles, rolebindings, roles } from '../../api/rbac/rbac.js';
import type { KubeObject } from '../../machinery/object.js';
import { errors, StatusError } from '../../machinery/status.js';
import type { AdmissionAttributes } from './chain.js';
import { compactString, rbacEscalationPrevention } from './rbac-escalation.js';
import { authorize } from '../../api/rbac/authorize.js';

const rbac = 'rbac.authorization.k8s.io';
const policy: Policy = {
  clusterRoles: [
    { metadata: { name: 'pod-reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] },
    { metadata: { name: 'rbac-writer' }, rules: [{ verbs: ['create', 'update'], apiGroups: [rbac], resources: ['roles', 'rolebindings', 'clusterroles'] }] },
    { metadata: { name: 'escalator' }, rules: [{ verbs: ['escalate'], apiGroups: [rbac], resources: ['roles'] }] },
    { metadata: { name: 'binder' }, rules: [{ verbs: ['bind'], apiGroups: [rbac], resources: ['clusterroles'], resourceNames: ['admin'] }] },
    { metadata: { name: 'admin' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] },
  ],
  roles: [],
  clusterRoleBindings: [],
  roleBindings: [
    { metadata: { name: 'a', namespace: 'team' }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'pod-reader' }, subjects: [{ kind: 'User', name: 'bob' }, { kind: 'User', name: 'eve' }] },
    { metadata: { name: 'b', namespace: 'team' }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'rbac-writer' }, subjects: [{ kind: 'User', name: 'bob' }, { kind: 'User', name: 'eve' }] },
    { metadata: { name: 'c', namespace: 'team' }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'escalator' }, subjects: [{ kind: 'User', name: 'eve' }] },
    { metadata: { name: 'd', namespace: 'team' }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'binder' }, subjects: [{ kind: 'User', name: 'eve' }] },
  ],
};
const index = new PolicyIndex(policy);
const plugin = rbacEscalationPrevention({
  allowed: async (attributes: RequestAttributes, user) => authorize(attributes, user, index).allowed,
  rulesFor: async (user, namespace) => index.rulesFor(user, namespace || undefined),
  roleRules: async (roleRef, namespace) => {
    const rules = index.rulesOf({ metadata: { namespace }, roleRef });
    if (!rules) throw errors.notFound(rbac, roleRef.kind === 'ClusterRole' ? 'clusterroles' : 'roles', roleRef.name);
    return rules;
  },
});

function write(username: string, type: ResourceType, object: KubeObject, operation: 'CREATE' | 'UPDATE' = 'CREATE', oldObject?: KubeObject): Promise<void> {
  const attributes: AdmissionAttributes = { operation, type, namespace: object.metadata.namespace, name: object.metadata.name, object, oldObject, user: { username, groups: username === 'root' ? ['system:masters'] : ['system:authenticated'] }, dryRun: false };
  return Promise.resolve(plugin.validate!(attributes));
}

const role = (name: string, rules: object[]) => ({ metadata: { name, namespace: 'team' }, rules }) as KubeObject;
const binding = (name: string, kind: string, roleName: string) => ({ metadata: { name, namespace: 'team' }, roleRef: { apiGroup: rbac, kind, name: roleName }, subjects: [{ kind: 'User', name: 'x' }] }) as unknown as KubeObject;
const asType = (type: unknown) => type as ResourceType;

describe('escalation prevention', () => {
  it('lets a user write a role within what they hold', async () => {
    await write('bob', asType(roles), role('r', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
  });

  it('refuses a role with more, listing what is missing as upstream prints it', async () => {
    await assert.rejects(write('bob', asType(roles), role('r', [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] }])), (err: StatusError) => {
      assert.equal(err.code, 403);
      assert.equal(
        err.message,
        'roles.rbac.authorization.k8s.io "r" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
          '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
      );
      return true;
    });
  });

  it('lets escalate through, and system:masters always', async () => {
    await write('eve', asType(roles), role('r', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]));
    await write('root', asType(roles), role('r', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]));
  });

  it('refuses an aggregationRule to anyone without every permission', async () => {
    const aggregated = { metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] } } as unknown as KubeObject;
    await assert.rejects(write('bob', asType(clusterroles), aggregated), { message: 'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule' });
  });

  it('binds a role the user holds; refuses one they do not, unless they may bind it', async () => {
    await write('bob', asType(rolebindings), binding('x', 'ClusterRole', 'pod-reader'));
    await assert.rejects(write('bob', asType(rolebindings), binding('x', 'ClusterRole', 'admin')), /rolebindings.rbac.authorization.k8s.io "x" is forbidden: user "bob" .* not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/);
    await write('eve', asType(rolebindings), binding('x', 'ClusterRole', 'admin'));
  });

  it('answers NotFound for a binding of a role that does not exist', async () => {
    await assert.rejects(write('bob', asType(rolebindings), binding('x', 'Role', 'ghost')), (err: StatusError) => err.code === 404 && err.message === 'roles.rbac.authorization.k8s.io "ghost" not found');
  });

  it('lets updates that change only what garbage collection may change through', async () => {
    const old = role('r', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
    const updated = { ...old, metadata: { ...old.metadata, finalizers: ['x'], ownerReferences: [] } } as KubeObject;
    await write('bob', asType(roles), updated, 'UPDATE', old);
    void clusterrolebindings;
  });

  it('prints a rule as upstream CompactString', () => {
    assert.equal(compactString({ verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'] }), '{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["get" "list"]}');
    assert.equal(compactString({ verbs: ['get'], nonResourceURLs: ['/metrics'] }), '{NonResourceURLs:["/metrics"], Verbs:["get"]}');
  });
});
