/**
 * The `kube-dns` Service (kube-system, ClusterIP 10.43.0.10), answered by
 * skiff itself: it has no selector; every node publishes its own DNS
 * server as an endpoint, in an EndpointSlice of its own
 * (`kube-dns-<node>`, owned by the Node: node-endpoints.ts), so the service proxy sends pods' queries for
 * 10.43.0.10 to the nodes' DNS servers, as CoreDNS pods would be reached.
 */
import type { NodeEndpoints } from '../node-endpoints.js';
import type { KubeObject } from '../../machinery/object.js';

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

/** Publishes this node's DNS server as an endpoint of kube-dns (and keeps it published). */
export function publishNodeDNS(endpoints: NodeEndpoints, address: string, port = 53): void {
  endpoints.publish({
    namespace: 'kube-system',
    service: 'kube-dns',
    address,
    ports: [
      { name: 'dns', port, protocol: 'UDP' },
      { name: 'dns-tcp', port, protocol: 'TCP' },
    ],
  });
}
