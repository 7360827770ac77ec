/**
 * What every cluster has from its first second: the default namespaces, the
 * system priority classes, the default RBAC policy, and the `kubernetes`
 * Service in `default` pointing at the apiserver. Idempotent: runs at every start, creates only what is missing.
 */
import type { KubeObject } from '../machinery/object.js';
import type { ResourceType } from '../api/resource.js';
import { isStatusError } from '../machinery/status.js';
import type { ApiServer } from './server.js';
import { defaultAndPrepareCreate, prepareCreateMetadata, prepareUpdate, validateCreate, validateUpdate } from './strategy.js';
import { bootstrapPolicy, reconcileBinding, reconcileClusterRole, reconcileRole, type ReconcileAction } from '../api/rbac/bootstrap-policy/index.js';
import { skiffPolicy } from '../api/rbac/bootstrap-policy/skiff-roles.js';

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Creates `object` unless an object of that name exists. */
export async function ensureObject(server: ApiServer, type: ResourceType, object: KubeObject): Promise<void> {
  const storage = server.storageFor(type);
  try {
    await storage.get(object.metadata.namespace, object.metadata.name!);
    return;
  } catch (err) {
    if (!isStatusError(err, 'NotFound')) throw err;
  }
  await createMissing(server, type, object);
}

/** Creates an object the caller found missing; one created meanwhile by someone else is left as it is. */
async function createMissing(server: ApiServer, type: ResourceType, object: KubeObject): Promise<void> {
  const storage = server.storageFor(type);
  const namespace = object.metadata.namespace;
  const copy = structuredClone(object);
  prepareCreateMetadata(type, copy, namespace, server.context.clock.now());
  defaultAndPrepareCreate(type, copy);
  const undo = await server.context.hooksFor(type)?.beforeCreate?.(copy, false);
  try {
    validateCreate(type, copy);
    await storage.create(copy);
  } catch (err) {
    undo?.();
    if (!isStatusError(err, 'AlreadyExists')) throw err;
  }
}

export interface BootstrapOptions {
  /** Address and port clients inside the cluster reach the apiserver at. */
  advertiseAddress: string;
  port: number;
  extraObjects?: { type: ResourceType; object: KubeObject }[];
}

export async function bootstrapCluster(server: ApiServer, options: BootstrapOptions): Promise<void> {
  const registry = server.context.registry;
  const find = (group: string, version: string, resource: string) => {
    const type = registry.find(group, version, resource);
    if (!type) throw new Error(`bootstrap needs ${resource} in ${group || 'core'}/${version}`);
    return type;
  };
  const namespaces = find('', 'v1', 'namespaces');
  for (const name of systemNamespaces) {
    await ensureObject(server, namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  }
  for (const { type, object } of options.extraObjects ?? []) await ensureObject(server, type, object);
  // The default roles and bindings: components and users get their rights from these.
  await reconcileRbacPolicy(server);

  const services = find('', 'v1', 'services');
  await ensureObject(server, services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.43.0.1',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: options.port }],
      sessionAffinity: 'None',
    },
  });
  const endpoints = registry.find('', 'v1', 'endpoints');
  if (endpoints) {
    await ensureObject(server, endpoints, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: options.advertiseAddress }], ports: [{ name: 'https', port: options.port, protocol: 'TCP' }] }],
    });
  }
}

/*
 * The default RBAC policy, written at every start as upstream's
 * `rbac/bootstrap-roles` post-start hook does: missing roles and bindings
 * are created; existing ones gain what the defaults added since (rules,
 * subjects, labels), unless an admin set `rbac.authorization.kubernetes.io/
 * autoupdate: "false"` on them. Nothing a user added is taken away.
 */

type Reconcile<T extends KubeObject> = (existing: T | undefined, expected: T) => ReconcileAction<T>;

/** Whether a stored default has every field the expected one has, as it has them (labels and annotations: at least those). */
function asExpected(stored: KubeObject, expected: KubeObject): boolean {
  const storedFields = stored as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(expected)) {
    if (key === 'metadata' || key === 'apiVersion' || key === 'kind') continue;
    if (JSON.stringify(storedFields[key]) !== JSON.stringify(value)) return false;
  }
  for (const part of ['labels', 'annotations'] as const) {
    for (const [key, value] of Object.entries(expected.metadata[part] ?? {})) if (stored.metadata[part]?.[key] !== value) return false;
  }
  return true;
}

async function reconcileEach<T extends KubeObject>(server: ApiServer, type: ResourceType, expected: T[], reconcile: Reconcile<T>): Promise<void> {
  const storage = server.storageFor(type);
  // What is stored, from the watch cache brought up to the store's revision once (not a read per object).
  const cache = await storage.cache();
  await cache.sync();
  // All at once: on a first start the store commits the hundred-odd creates in a few group commits.
  await Promise.all(
    expected.map(async (object) => {
      const { namespace, name } = object.metadata;
      const entry = cache.get(storage.keyFor(namespace, name!));
      const stored = entry ? { object: storage.view(entry), revision: entry.revision } : undefined;
      // The usual start: the stored default is exactly as expected, and the rule-by-rule comparison can be skipped.
      if (stored && asExpected(stored.object, object)) return;
      const action = reconcile(stored?.object as T | undefined, object);
      if (action.kind === 'none') return;
      if (action.kind === 'create' || !stored) return createMissing(server, type, action.object);
      if (action.kind === 'recreate') {
        // A binding's roleRef cannot change: the old binding goes and the expected one takes its place.
        await storage.remove(namespace, name!, stored.revision);
        return createMissing(server, type, action.object);
      }
      const updated = structuredClone(action.object);
      prepareUpdate(type, updated, stored.object);
      validateUpdate(type, updated, stored.object);
      await storage.update(updated, stored.revision);
    }),
  );
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
