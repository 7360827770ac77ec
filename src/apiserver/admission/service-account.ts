/**
 * ServiceAccount, as upstream's admission plugin: a new pod runs as the
 * `default` service account unless it names one, and — unless the pod or
 * its service account says `automountServiceAccountToken: false`, or a
 * container already mounts something there — gets the `kube-api-access-…`
 * projected volume at /var/run/secrets/kubernetes.io/serviceaccount in
 * every container: a token for its service account (refreshed by the node
 * agent), the cluster CA (`kube-root-ca.crt`) and its namespace. That is
 * what in-cluster clients (`inClusterConfig`, client-go, kubectl) read.
 */
import { randomInt } from 'node:crypto';
import type { KubeObject } from '../../machinery/object.js';
import type { AdmissionPlugin } from './chain.js';

export const serviceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Upstream's expiry for these tokens: an hour and seven seconds (the kubelet refreshes them long before). */
const tokenExpirationSeconds = 3607;
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

interface Container {
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

interface PodSpec {
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  volumes?: { name: string }[];
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
}

export interface ServiceAccountLookup {
  get(namespace: string, name: string): Promise<(KubeObject & { automountServiceAccountToken?: boolean }) | undefined>;
}

export function serviceAccountPlugin(accounts: ServiceAccountLookup): AdmissionPlugin {
  return {
    name: 'ServiceAccount',
    async admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.type.group !== '' || a.type.resource !== 'pods' || !a.object) return;
      const pod = a.object as KubeObject & { spec?: PodSpec };
      const spec = (pod.spec ??= {});
      // Mirror pods (static pods a node reports) are left as they are.
      if (pod.metadata.annotations?.['kubernetes.io/config.mirror']) return;
      spec.serviceAccountName ||= spec.serviceAccount || 'default';
      spec.serviceAccount = spec.serviceAccountName;
      if (spec.automountServiceAccountToken === false) return;
      const account = await accounts.get(a.namespace ?? pod.metadata.namespace ?? 'default', spec.serviceAccountName);
      if (spec.automountServiceAccountToken === undefined && account?.automountServiceAccountToken === false) return;
      const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
      if (containers.some((c) => c.volumeMounts?.some((m) => m.mountPath === serviceAccountMountPath))) return;
      const name = `kube-api-access-${Array.from({ length: 5 }, () => nameAlphabet[randomInt(nameAlphabet.length)]).join('')}`;
      (spec.volumes ??= []).push({
        name,
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { expirationSeconds: tokenExpirationSeconds, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      } as { name: string });
      for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        (container.volumeMounts ??= []).push({ name, mountPath: serviceAccountMountPath, readOnly: true });
      }
    },
  };
}
