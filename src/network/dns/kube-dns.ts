/**
 * The `kube-dns` Service (kube-system, ClusterIP 10.43.0.10), answered by
 * skiff itself: it has no selector; every node publishes its own DNS
 * server as an endpoint, in an EndpointSlice of its own
 * (`kube-dns-<node>`), so the service proxy sends pods' queries for
 * 10.43.0.10 to the nodes' DNS servers, as CoreDNS pods would be reached.
 */
import type { Client } from '../../client/index.js';
import { endpointSlicesResource } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';

export const kubeDnsServiceIP = '10.43.0.10';

export const kubeDnsService: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' } },
  spec: {
    clusterIP: kubeDnsServiceIP,
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
    ],
  },
} as KubeObject;

/** Publishes (or refreshes) this node's DNS server as an endpoint of kube-dns. */
export async function publishNodeDNS(client: Client, nodeName: string, address: string, port = 53): Promise<void> {
  const slices = client.resource(endpointSlicesResource);
  const name = `kube-dns-${nodeName}`.slice(0, 253);
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'skiff-node' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false }, nodeName }],
    ports: [
      { name: 'dns', port, protocol: 'UDP' },
      { name: 'dns-tcp', port, protocol: 'TCP' },
    ],
  } as unknown as KubeObject;
  const existing = await slices.find('kube-system', name);
  if (!existing) {
    await slices.create(slice).catch((err) => {
      if (!isStatusError(err, 'AlreadyExists')) throw err;
    });
    return;
  }
  await slices.update({ ...slice, metadata: { ...slice.metadata, resourceVersion: existing.metadata.resourceVersion } } as KubeObject);
}
