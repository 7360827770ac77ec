/** EndpointSlices as every network component reads them: an informer indexed by the Service they belong to. */
import type { InformerFactory } from '../client/index.js';
import { endpointSlicesResource, SharedInformer } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';

/** The index name: `<namespace>/<service>` (from the `kubernetes.io/service-name` label). */
export const byService = 'service';

/** The node's shared EndpointSlice informer, with the by-Service index (added once, whoever asks first). */
export function endpointSliceInformer<T extends KubeObject>(informers: InformerFactory): SharedInformer<T> {
  const informer = informers.informerFor<T>(endpointSlicesResource);
  informer.addIndex(byService, (slice) => [`${slice.metadata.namespace}/${slice.metadata.labels?.['kubernetes.io/service-name'] ?? ''}`]);
  return informer;
}

/** The parts of an EndpointSlice the network components read. */
export interface SliceObject extends KubeObject {
  addressType?: string;
  endpoints?: { addresses: string[]; nodeName?: string; hostname?: string; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

/**
 * The ready endpoints of one Service port: each address of each ready
 * endpoint, with the port the slice gives for the Service port's name and
 * protocol; `local` when on the given node.
 */
export function readyEndpoints(slices: SliceObject[], portName: string | undefined, protocol: string, nodeName?: string): { ip: string; port: number; local: boolean }[] {
  const endpoints: { ip: string; port: number; local: boolean }[] = [];
  for (const slice of slices) {
    if ((slice.addressType ?? 'IPv4') !== 'IPv4') continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === (portName ?? '') && (p.protocol ?? 'TCP') === protocol)?.port;
    if (!port) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const ip of endpoint.addresses) endpoints.push({ ip, port, local: nodeName !== undefined && endpoint.nodeName === nodeName });
    }
  }
  return endpoints;
}
