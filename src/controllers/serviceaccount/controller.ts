/**
 * Every active namespace has a `default` ServiceAccount (pods that name no
 * account run as it) and the `kube-root-ca.crt` ConfigMap holding the
 * cluster CA, so workloads can verify the apiserver. Both are recreated if
 * deleted.
 */
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { configMapsResource, namespacesResource, serviceAccountsResource } from '../resources.js';

const rootCaName = 'kube-root-ca.crt';

function ignoreExists(err: unknown): undefined {
  // AlreadyExists: someone made it first; Forbidden: the namespace is terminating.
  if (isStatusError(err, 'AlreadyExists') || isStatusError(err, 'Forbidden') || isStatusError(err, 'NotFound')) return undefined;
  throw err;
}

export function serviceAccountController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const namespaceInformer = informers.informerFor(namespacesResource);
  const accountInformer = informers.informerFor(serviceAccountsResource);
  const configMapInformer = informers.informerFor(configMapsResource);
  const accounts = client.resource(serviceAccountsResource);
  const configMaps = client.resource<KubeObject & { data?: Record<string, string> }>(configMapsResource);
  const caPem = client.config.caPem;

  return {
    name: 'serviceaccount',
    for: namespacesResource,
    watches: [
      { resource: serviceAccountsResource, map: (sa) => (sa.metadata.name === 'default' ? [sa.metadata.namespace!] : []) },
      { resource: configMapsResource, map: (cm) => (cm.metadata.name === rootCaName ? [cm.metadata.namespace!] : []) },
    ],
    async reconcile(name) {
      const ns = namespaceInformer.lister.get(undefined, name);
      if (!ns || ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return;
      if (!accountInformer.lister.get(name, 'default')) {
        await accounts.create({ metadata: { name: 'default', namespace: name } }).catch(ignoreExists);
      }
      if (caPem) {
        const existing = configMapInformer.lister.get(name, rootCaName) as (KubeObject & { data?: Record<string, string> }) | undefined;
        if (!existing) {
          await configMaps
            .create({ metadata: { name: rootCaName, namespace: name, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': caPem } })
            .catch(ignoreExists);
        } else if (existing.data?.['ca.crt'] !== caPem) {
          await configMaps.update({ ...existing, data: { 'ca.crt': caPem } }).catch(ignoreExists);
        }
      }
    },
  };
}
