/** EndpointSlices as every network component reads them: an informer indexed by the Service they belong to. */
import type { Client } from '../client/index.js';
import { endpointSlicesResource, SharedInformer } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';

/** The index name: `<namespace>/<service>` (from the `kubernetes.io/service-name` label). */
export const byService = 'service';

export function endpointSliceInformer<T extends KubeObject>(client: Client): SharedInformer<T> {
  return new SharedInformer<T>(client.resource<T>(endpointSlicesResource), {
    indexers: { [byService]: (slice) => [`${slice.metadata.namespace}/${slice.metadata.labels?.['kubernetes.io/service-name'] ?? ''}`] },
  });
}
