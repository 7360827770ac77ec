/**
 * The default RBAC policy, written at every start as upstream's
 * `rbac/bootstrap-roles` post-start hook does: missing roles and bindings
 * are created; existing ones gain what the defaults added since (rules,
 * subjects, labels), unless an admin set `rbac.authorization.kubernetes.io/
 * autoupdate: "false"` on them. Nothing a user added is taken away.
 */
import type { KubeObject } from '../machinery/object.js';
import type { ResourceType } from '../api/resource.js';
import { isStatusError } from '../machinery/status.js';
import { bootstrapPolicy, reconcileBinding, reconcileClusterRole, reconcileRole, type ReconcileAction } from '../api/rbac/bootstrap-policy/index.js';
import { skiffPolicy } from '../api/rbac/bootstrap-policy/skiff-roles.js';
import type { ApiServer } from './server.js';
import { ensureObject } from './bootstrap.js';
import { prepareUpdate, validateUpdate } from './strategy.js';

type Reconcile<T extends KubeObject> = (existing: T | undefined, expected: T) => ReconcileAction<T>;

async function reconcileEach<T extends KubeObject>(server: ApiServer, type: ResourceType, expected: T[], reconcile: Reconcile<T>): Promise<void> {
  const storage = server.storageFor(type);
  for (const object of expected) {
    const { namespace, name } = object.metadata;
    const stored = await storage.get(namespace, name!).catch((err: unknown) => {
      if (isStatusError(err, 'NotFound')) return undefined;
      throw err;
    });
    const action = reconcile(stored?.object as T | undefined, object);
    if (action.kind === 'none') continue;
    if (action.kind === 'create' || !stored) {
      await ensureObject(server, type, action.object);
      continue;
    }
    if (action.kind === 'recreate') {
      // A binding's roleRef cannot change: the old binding goes and the expected one takes its place.
      await storage.remove(namespace, name!, stored.revision);
      await ensureObject(server, type, action.object);
      continue;
    }
    const updated = structuredClone(action.object);
    prepareUpdate(type, updated, stored.object);
    validateUpdate(type, updated, stored.object);
    await storage.update(updated, stored.revision);
  }
}

export async function reconcileRbacPolicy(server: ApiServer): Promise<void> {
  const registry = server.context.registry;
  const find = (resource: string) => {
    const type = registry.find('rbac.authorization.k8s.io', 'v1', resource);
    if (!type) throw new Error(`bootstrap needs rbac.authorization.k8s.io/v1 ${resource}`);
    return type;
  };
  const upstream = bootstrapPolicy();
  const skiff = skiffPolicy();
  // Roles before the bindings that refer to them, as upstream.
  await reconcileEach(server, find('clusterroles'), [...upstream.clusterRoles, ...skiff.clusterRoles], reconcileClusterRole);
  await reconcileEach(server, find('clusterrolebindings'), [...upstream.clusterRoleBindings, ...skiff.clusterRoleBindings], reconcileBinding);
  await reconcileEach(server, find('roles'), upstream.roles, reconcileRole);
  await reconcileEach(server, find('rolebindings'), upstream.roleBindings, reconcileBinding);
}
