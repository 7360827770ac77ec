/**
 * What the apiserver serves, asked of the apiserver: the aggregated
 * discovery documents of `/api` and `/apis` (two requests for everything,
 * as kubectl 1.30+ reads them). Components that act on every kind — the
 * garbage collector, namespace deletion — find custom resources this way,
 * never from a compiled-in list.
 */
import type { Client } from './client.js';
import type { ResourceRef } from './resource-client.js';

const aggregatedDiscovery = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9';

export interface DiscoveredResource extends ResourceRef {
  verbs: string[];
  /** Whether this is the group's preferred version (discovery lists it first). */
  preferred: boolean;
}

interface DiscoveryDocument {
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: { resource: string; responseKind?: { kind?: string }; scope?: string; verbs?: string[] }[];
    }[];
  }[];
}

/** Every resource (not subresource) of every served version; the preferred version of each group is marked. */
export async function discoverResources(client: Client, signal?: AbortSignal): Promise<DiscoveredResource[]> {
  const documents = await Promise.all(['/api', '/apis'].map((path) => client.rest.request<DiscoveryDocument>('GET', path, { accept: aggregatedDiscovery, signal })));
  const found: DiscoveredResource[] = [];
  for (const document of documents) {
    for (const group of document.items ?? []) {
      const name = group.metadata?.name ?? '';
      (group.versions ?? []).forEach((version, index) => {
        for (const resource of version.resources ?? []) {
          found.push({
            group: name,
            version: version.version,
            resource: resource.resource,
            kind: resource.responseKind?.kind ?? '',
            namespaced: resource.scope === 'Namespaced',
            verbs: resource.verbs ?? [],
            preferred: index === 0,
          });
        }
      });
    }
  }
  return found;
}

/** The resources that support every one of `verbs`, in their group's preferred version only. */
export function preferredResourcesWith(resources: DiscoveredResource[], verbs: string[]): DiscoveredResource[] {
  return resources.filter((resource) => resource.preferred && verbs.every((verb) => resource.verbs.includes(verb)));
}
