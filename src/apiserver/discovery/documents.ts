/**
 * The discovery documents, as plain objects built from the registry:
 * `/api` (APIVersions), `/apis` (APIGroupList), `/apis/<group>` (APIGroup),
 * `/api/v1` and `/apis/<group>/<version>` (APIResourceList), and the
 * aggregated form of `/api` and `/apis` (APIGroupDiscoveryList).
 *
 * Field order and omitted-when-empty rules follow upstream's JSON encoding,
 * so byte-level comparisons with a real cluster's answers mostly line up.
 */
import { createHash } from 'node:crypto';
import type { Registry } from '../../api/registry.js';
import type { ResourceType } from '../../api/resource.js';
import { subresourcesOf, verbsOf } from './subresources.js';

export interface ServerAddressByClientCIDR {
  clientCIDR: string;
  serverAddress: string;
}

/** `<group>/<version>`, or just `<version>` for the core group. */
export function groupVersionString(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/**
 * Upstream's storage version hash: the first 8 bytes of sha256("<group>/<version>/<kind>")
 * of the version objects are stored in, base64. Clients use it to notice storage migrations.
 */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

function storageVersionOf(type: ResourceType): string {
  return type.conversion?.storageVersion ?? type.version;
}

/** `/api`: the legacy group's versions. Upstream strips apiVersion here (kept since 1.1). */
export function apiVersions(registry: Registry, addresses: ServerAddressByClientCIDR[]): Record<string, unknown> {
  return { kind: 'APIVersions', versions: registry.versions(''), serverAddressByClientCIDRs: addresses };
}

function apiGroupBody(registry: Registry, group: string): Record<string, unknown> {
  const versions = registry.versions(group).map((version) => ({ groupVersion: `${group}/${version}`, version }));
  const preferred = registry.preferredVersion(group) ?? versions[0]?.version;
  return {
    name: group,
    versions,
    preferredVersion: { groupVersion: `${group}/${preferred}`, version: preferred },
  };
}

/** `/apis`: every named group with its versions, preferred first, in registration order. */
export function apiGroupList(registry: Registry): Record<string, unknown> {
  const groups = registry
    .groups()
    .filter((group) => group !== '' && registry.versions(group).length > 0)
    .map((group) => apiGroupBody(registry, group));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** `/apis/<group>`, or undefined when the group is not served. */
export function apiGroup(registry: Registry, group: string): Record<string, unknown> | undefined {
  if (!group || registry.versions(group).length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupBody(registry, group) };
}

/** One APIResource entry per resource and per subresource, sorted by name as upstream does. */
function apiResources(types: ResourceType[]): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  for (const type of types) {
    const main: Record<string, unknown> = {
      name: type.resource,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: verbsOf(type),
    };
    if (type.shortNames?.length) main.shortNames = [...type.shortNames];
    if (type.categories?.length) main.categories = [...type.categories];
    // Kinds that are never stored (metrics.k8s.io) have no storage version, as upstream's non-storage REST.
    if (!type.computed) main.storageVersionHash = storageVersionHash(type.group, storageVersionOf(type), type.kind);
    entries.push(main);
    for (const sub of subresourcesOf(type)) {
      const entry: Record<string, unknown> = { name: `${type.resource}/${sub.name}`, singularName: '', namespaced: type.namespaced };
      if (sub.foreignKind) {
        entry.group = sub.group;
        entry.version = sub.version;
      }
      entry.kind = sub.kind;
      entry.verbs = sub.verbs;
      entries.push(entry);
    }
  }
  return entries.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : (a.name as string) > (b.name as string) ? 1 : 0));
}

/** `/api/v1`, `/apis/<group>/<version>`, or undefined when that version is not served. */
export function apiResourceList(registry: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const types = registry.resourcesIn(group, version);
  if (types.length === 0) return undefined;
  const list: Record<string, unknown> = { kind: 'APIResourceList' };
  // The core group's lists are unversioned upstream (backwards compatibility with 1.1).
  if (group) list.apiVersion = 'v1';
  list.groupVersion = groupVersionString(group, version);
  list.resources = apiResources(types);
  return list;
}

export type AggregatedVersion = 'v2' | 'v2beta1';

function aggregatedResource(type: ResourceType): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    resource: type.resource,
    responseKind: { group: type.group, version: type.version, kind: type.kind },
    scope: type.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: type.singular,
    verbs: verbsOf(type),
  };
  if (type.shortNames?.length) resource.shortNames = [...type.shortNames];
  if (type.categories?.length) resource.categories = [...type.categories];
  const subresources = subresourcesOf(type).map((sub) => ({
    subresource: sub.name,
    responseKind: { group: sub.group, version: sub.version, kind: sub.kind },
    verbs: sub.verbs,
  }));
  if (subresources.length) resource.subresources = subresources;
  return resource;
}

function aggregatedGroup(registry: Registry, group: string): Record<string, unknown> {
  const metadata: Record<string, unknown> = group ? { name: group, creationTimestamp: null } : { creationTimestamp: null };
  const versions = registry.versions(group).map((version) => {
    const resources = registry
      .resourcesIn(group, version)
      .slice()
      .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0))
      .map(aggregatedResource);
    return { version, resources, freshness: 'Current' };
  });
  return { metadata, versions };
}

/**
 * Aggregated discovery: everything `/api` (scope `legacy`) or `/apis` (scope `apis`)
 * serves, in one APIGroupDiscoveryList. v2 and v2beta1 have the same shape.
 */
export function aggregatedDiscovery(registry: Registry, scope: 'legacy' | 'apis', version: AggregatedVersion): Record<string, unknown> {
  const groups = scope === 'legacy' ? (registry.versions('').length ? [''] : []) : registry.groups().filter((g) => g !== '');
  const items = groups.filter((g) => registry.versions(g).length > 0).map((g) => aggregatedGroup(registry, g));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
