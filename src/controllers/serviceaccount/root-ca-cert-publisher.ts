/**
 * Every active namespace has the `kube-root-ca.crt` ConfigMap holding the
 * cluster CA, so workloads can verify the apiserver (upstream's
 * root-ca-cert-publisher). It is recreated if deleted and corrected if changed.
 */
import type { KubeObject } from '../../machinery/object.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { configMapsResource, namespacesResource } from '../resources.js';
import { ignoreExistsOrNamespaceGone } from './controller.js';

export const rootCaConfigMapName = 'kube-root-ca.crt';

const description =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export function rootCaCertPublisher(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const namespaceInformer = informers.informerFor(namespacesResource);
  const configMapInformer = informers.informerFor(configMapsResource);
  const configMaps = client.resource<KubeObject & { data?: Record<string, string> }>(configMapsResource);
  const caPem = client.config.caPem;

  return {
    name: 'root-ca-cert-publisher',
    for: namespacesResource,
    watches: [{ resource: configMapsResource, map: (cm) => (cm.metadata.name === rootCaConfigMapName ? [cm.metadata.namespace!] : []) }],
    async reconcile(name) {
      if (!caPem) return;
      const ns = namespaceInformer.lister.get(undefined, name);
      if (!ns || ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return;
      const existing = configMapInformer.lister.get(name, rootCaConfigMapName) as (KubeObject & { data?: Record<string, string> }) | undefined;
      if (!existing) {
        await configMaps
          .create({ metadata: { name: rootCaConfigMapName, namespace: name, annotations: { 'kubernetes.io/description': description } }, data: { 'ca.crt': caPem } })
          .catch(ignoreExistsOrNamespaceGone);
      } else if (existing.data?.['ca.crt'] !== caPem) {
        await configMaps.update({ ...existing, data: { 'ca.crt': caPem } }).catch(ignoreExistsOrNamespaceGone);
      }
    },
  };
}
