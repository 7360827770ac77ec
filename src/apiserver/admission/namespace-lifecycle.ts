/**
 * NamespaceLifecycle, as upstream's admission plugin: nothing is created in a
 * namespace that does not exist or is being terminated, and the system
 * namespaces cannot be deleted.
 */
import { errors, StatusError } from '../../machinery/status.js';
import type { AdmissionPlugin } from './chain.js';
import type { KubeObject } from '../../machinery/object.js';

export const immortalNamespaces = new Set(['default', 'kube-system', 'kube-public']);

/** Looks a namespace up (from the watch cache, consistently). */
export type NamespaceLookup = (name: string) => Promise<KubeObject | undefined>;

export function namespaceLifecycle(lookup: NamespaceLookup): AdmissionPlugin {
  return {
    name: 'NamespaceLifecycle',
    async validate(a) {
      if (a.type.group === '' && a.type.resource === 'namespaces') {
        if (a.operation === 'DELETE' && a.name && immortalNamespaces.has(a.name)) {
          throw errors.forbidden('', 'namespaces', a.name, 'this namespace may not be deleted');
        }
        return;
      }
      // As upstream: creates of objects, not of their subresources (an eviction, a token), are kept out of terminating namespaces.
      if (!a.type.namespaced || a.operation !== 'CREATE' || a.subresource || !a.namespace) return;
      const namespace = await lookup(a.namespace);
      if (!namespace) throw errors.notFound('', 'namespaces', a.namespace);
      const phase = (namespace.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Terminating' || namespace.metadata.deletionTimestamp) {
        // Events may still be written while a namespace terminates, as upstream allows.
        if (a.type.resource === 'events') return;
        const what = a.type.group ? `${a.type.resource}.${a.type.group}` : a.type.resource;
        throw new StatusError(
          403,
          'Forbidden',
          `${what} "${a.object?.metadata.name ?? ''}" is forbidden: unable to create new content in namespace ${a.namespace} because it is being terminated`,
          { name: a.object?.metadata.name, group: a.type.group || undefined, kind: a.type.resource, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' }] },
        );
      }
    },
  };
}
