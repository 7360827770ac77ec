/**
 * The namespace controller: empties a namespace being deleted, then lets it
 * go. While content remains it reports why in the namespace's conditions
 * (NamespaceContentRemaining, NamespaceFinalizersRemaining, …) and looks
 * again shortly; once nothing is left it removes the `kubernetes` finalizer
 * (through the `finalize` subresource), and the apiserver deletes the namespace.
 */
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { discoverResources, preferredResourcesWith } from '../../client/index.js';
import { namespacesResource } from '../resources.js';
import { canonicalJson } from '../util/hash.js';
import { timestamp } from '../util/time.js';

interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
}

/** How soon to look again while content is still going away. */
const recheckMs = 1000;


export function namespaceController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const namespaceInformer = informers.informerFor<Namespace>(namespacesResource);
  const namespaces = client.resource<Namespace>(namespacesResource);

  async function writeConditions(ns: Namespace, remaining: Map<string, number>, finalizers: Map<string, number>, failures: string[]): Promise<void> {
    const now = timestamp(context.now());
    const previous = ns.status?.conditions ?? [];
    // Each condition's reason and message when all is well, as upstream words them.
    const clear: Record<string, [string, string]> = {
      NamespaceDeletionDiscoveryFailure: ['ResourcesDiscovered', 'All resources successfully discovered'],
      NamespaceDeletionGroupVersionParsingFailure: ['ParsedGroupVersions', 'All legacy kube types successfully parsed'],
      NamespaceDeletionContentFailure: ['ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
      NamespaceContentRemaining: ['ContentRemoved', 'All content successfully removed'],
      NamespaceFinalizersRemaining: ['ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
    };
    const condition = (type: string, active: boolean, reason: string, message: string) => {
      const status = active ? 'True' : 'False';
      const before = previous.find((c) => c.type === type);
      return {
        type,
        status,
        lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now,
        reason: active ? reason : clear[type][0],
        message: active ? message : clear[type][1],
      };
    };
    const describe = (counts: Map<string, number>, suffix: string) =>
      [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([what, n]) => `${what} ${suffix.replace('%d', String(n))}`).join(', ');
    const conditions = [
      condition('NamespaceDeletionDiscoveryFailure', false, 'DiscoveryFailed', ''),
      condition('NamespaceDeletionGroupVersionParsingFailure', false, 'GroupVersionParsingFailed', ''),
      condition('NamespaceDeletionContentFailure', failures.length > 0, 'ContentDeletionFailed', `Failed to delete all resource types, ${failures.length} remaining: ${failures.join(', ')}`),
      condition('NamespaceContentRemaining', remaining.size > 0, 'SomeResourcesRemain', `Some resources are remaining: ${describe(remaining, 'has %d resource instances')}`),
      condition('NamespaceFinalizersRemaining', finalizers.size > 0, 'SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${describe(finalizers, 'in %d resource instances')}`),
    ];
    const status = { ...ns.status, phase: 'Terminating', conditions };
    if (canonicalJson(status) === canonicalJson(ns.status ?? {})) return;
    await namespaces.updateStatus({ ...ns, status }).catch((err) => {
      if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
    });
  }

  return {
    name: 'namespace',
    for: namespacesResource,
    workers: 2,
    async reconcile(key, { signal }) {
      const ns = namespaceInformer.lister.get(undefined, key);
      if (!ns?.metadata.deletionTimestamp) return;
      if (!(ns.spec?.finalizers ?? []).includes('kubernetes')) return;
      const remaining = new Map<string, number>();
      const finalizers = new Map<string, number>();
      const failures: string[] = [];
      // What lives in namespaces is asked of discovery each time: custom resources come and go.
      const namespaced = preferredResourcesWith(await discoverResources(client, signal), ['list', 'delete']).filter((resource) => resource.namespaced);
      for (const type of namespaced) {
        const resource = client.resource(type);
        let items: KubeObject[];
        try {
          items = (await resource.listAll(key)).items;
        } catch {
          failures.push(type.group ? `${type.resource}.${type.group}` : type.resource);
          continue;
        }
        if (items.length === 0) continue;
        const label = type.group ? `${type.resource}.${type.group}` : type.resource;
        remaining.set(label, items.length);
        for (const item of items) {
          for (const finalizer of item.metadata.finalizers ?? []) finalizers.set(finalizer, (finalizers.get(finalizer) ?? 0) + 1);
          if (item.metadata.deletionTimestamp) continue;
          await resource.delete(key, item.metadata.name!, { propagationPolicy: 'Background' }).catch((err) => {
            if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) failures.push(label);
          });
        }
      }
      await writeConditions(ns, remaining, finalizers, failures);
      if (remaining.size > 0 || failures.length > 0) return { requeueAfterMs: recheckMs };
      // Empty: remove our finalizer; the apiserver then deletes the namespace.
      const spec = { ...ns.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== 'kubernetes') };
      await client.rest
        .request('PUT', `/api/v1/namespaces/${encodeURIComponent(key)}/finalize`, { body: { apiVersion: 'v1', kind: 'Namespace', metadata: ns.metadata, spec } })
        .catch((err) => {
          if (!isStatusError(err, 'NotFound')) throw err;
        });
      return undefined;
    },
  };
}
