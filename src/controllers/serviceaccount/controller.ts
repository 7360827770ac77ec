/**
 * Every active namespace has a `default` ServiceAccount (pods that name no
 * account run as it); it is recreated if deleted. (The namespace's
 * `kube-root-ca.crt` ConfigMap is root-ca-cert-publisher.ts's, a controller
 * with its own identity, as upstream.)
 */
import { isStatusError } from '../../machinery/status.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { namespacesResource, serviceAccountsResource } from '../resources.js';

/**
 * Swallows what a create in a namespace may meet without anything being
 * wrong: someone made it first (AlreadyExists), the namespace went
 * (NotFound) or is terminating (Forbidden, NamespaceTerminating).
 */
export function ignoreExistsOrNamespaceGone(err: unknown): undefined {
  if (isStatusError(err, 'AlreadyExists') || isStatusError(err, 'NotFound')) return undefined;
  if (isStatusError(err, 'Forbidden') && (err as { status: { details?: { causes?: { reason?: string }[] } } }).status.details?.causes?.some((cause) => cause.reason === 'NamespaceTerminating')) return undefined;
  throw err;
}

export function serviceAccountController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const namespaceInformer = informers.informerFor(namespacesResource);
  const accountInformer = informers.informerFor(serviceAccountsResource);
  const accounts = client.resource(serviceAccountsResource);

  return {
    name: 'serviceaccount',
    for: namespacesResource,
    watches: [{ resource: serviceAccountsResource, map: (sa) => (sa.metadata.name === 'default' ? [sa.metadata.namespace!] : []) }],
    async reconcile(name) {
      const ns = namespaceInformer.lister.get(undefined, name);
      if (!ns || ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return;
      if (!accountInformer.lister.get(name, 'default')) {
        await accounts.create({ metadata: { name: 'default', namespace: name } }).catch(ignoreExistsOrNamespaceGone);
      }
    },
  };
}
