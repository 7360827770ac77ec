/**
 * What an admission request is in API terms — its group/version/resource,
 * kind, subresource and namespace — and the other versions it may be seen
 * in. A webhook whose rules name only `autoscaling/v1` still sees a request
 * for `autoscaling/v2` HorizontalPodAutoscalers under matchPolicy Equivalent:
 * the object is converted to v1 for it (upstream's equivalent resource
 * mapper, keyed like skiff by the storage resource both versions share).
 */
import type { ResourceType } from '../../../api/resource.js';
import { storageResourceOf } from '../../../api/resource.js';
import type { KubeObject } from '../../../machinery/object.js';
import { errors } from '../../../machinery/status.js';
import type { AdmissionAttributes, Operation } from '../chain.js';

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** One way of seeing the request: as its own resource, or as an equivalent one of another version. */
export interface RequestView {
  resource: GroupVersionResource;
  kind: GroupVersionKind;
  /** The type the view's objects are of; undefined when they are a subresource's own kind (a Scale, a Binding). */
  type?: ResourceType;
}

/** The request as the webhook machinery reads it, computed once per admission call. */
export interface WebhookRequest {
  attributes: AdmissionAttributes;
  operation: Operation;
  /** For namespaces themselves, the namespace's own name (upstream sets it so). */
  namespace: string;
  name: string;
  subresource: string;
  own: RequestView;
  /** The request seen through other versions of the same stored resource (lazily computed). */
  equivalents(): RequestView[];
}

/** The kinds of CONNECT options objects, when the caller passes none. */
const connectKinds: Record<string, string> = { exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions' };
const proxyKinds: Record<string, string> = { pods: 'PodProxyOptions', services: 'ServiceProxyOptions', nodes: 'NodeProxyOptions' };

export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function apiVersionOf(gv: { group: string; version: string }): string {
  return gv.group ? `${gv.group}/${gv.version}` : gv.version;
}

export function isNamespacesResource(resource: GroupVersionResource): boolean {
  return resource.group === '' && resource.resource === 'namespaces';
}

function kindOfType(type: ResourceType): GroupVersionKind {
  return { group: type.group, version: type.version, kind: type.kind };
}

/**
 * The kind of the request's object: the resource's kind, or for a subresource
 * whose object is of another kind (scale, binding, eviction, token, exec) that kind.
 */
function requestKind(attributes: AdmissionAttributes): GroupVersionKind {
  const { type, subresource } = attributes;
  if (!subresource) return kindOfType(type);
  const object = attributes.object ?? attributes.oldObject;
  if (object && typeof object.apiVersion === 'string' && typeof object.kind === 'string' && object.kind) {
    return { ...parseApiVersion(object.apiVersion), kind: object.kind };
  }
  if (attributes.operation === 'CONNECT') {
    const kind = subresource === 'proxy' ? proxyKinds[type.resource] : connectKinds[subresource];
    if (kind) return { group: '', version: 'v1', kind };
  }
  return kindOfType(type);
}

function sameKind(a: GroupVersionKind, b: GroupVersionKind): boolean {
  return a.group === b.group && a.version === b.version && a.kind === b.kind;
}

function hasSubresource(type: ResourceType, subresource: string): boolean {
  if (!subresource) return true;
  const declared = type.subresources;
  if (subresource === 'status') return declared?.status === true;
  if (subresource === 'scale') return declared?.scale !== undefined;
  return (declared?.others ?? []).includes(subresource) || declared?.strategies?.[subresource] !== undefined;
}

/** Describes a request; `types` lists every served type (for matchPolicy Equivalent). */
export function describeRequest(attributes: AdmissionAttributes, types: (() => readonly ResourceType[]) | undefined): WebhookRequest {
  const { type } = attributes;
  const resource = { group: type.group, version: type.version, resource: type.resource };
  const kind = requestKind(attributes);
  // The object is of the resource's own kind (main resource, status): it converts with the resource.
  const convertible = sameKind(kind, kindOfType(type));
  const own: RequestView = { resource, kind, type: convertible ? type : undefined };
  const name = attributes.name ?? attributes.object?.metadata?.name ?? attributes.oldObject?.metadata?.name ?? '';
  const namespace = isNamespacesResource(resource) ? name : attributes.namespace ?? '';
  const subresource = attributes.subresource ?? '';
  let equivalents: RequestView[] | undefined;
  return {
    attributes,
    operation: attributes.operation,
    namespace,
    name,
    subresource,
    own,
    equivalents() {
      if (equivalents) return equivalents;
      const storage = storageResourceOf(type);
      equivalents = (types?.() ?? [])
        .filter((other) => other !== type && storageResourceOf(other) === storage && !(other.group === type.group && other.version === type.version))
        .filter((other) => hasSubresource(other, subresource))
        .map((other) => ({
          resource: { group: other.group, version: other.version, resource: other.resource },
          kind: convertible ? kindOfType(other) : kind,
          type: convertible ? other : undefined,
        }));
      return equivalents;
    },
  };
}

/** Converts an object of type `from` to type `to` through their storage version. */
export async function convertObject(object: KubeObject, from: ResourceType, to: ResourceType): Promise<KubeObject> {
  if (from === to || (from.group === to.group && from.version === to.version && from.kind === to.kind)) return object;
  try {
    const copy = structuredClone(object);
    const conversionFrom = from.conversion;
    let stored = copy;
    if (conversionFrom) stored = conversionFrom.toStorageAsync ? await conversionFrom.toStorageAsync(copy) : conversionFrom.toStorage(copy);
    const conversionTo = to.conversion;
    let converted = stored;
    if (conversionTo) converted = conversionTo.fromStorageAsync ? (await conversionTo.fromStorageAsync([stored]))[0] : conversionTo.fromStorage(stored);
    // Some conversions leave the type to the reader (a CRD's None strategy); the view's is the one to send.
    return { ...converted, apiVersion: apiVersionOf(to), kind: to.kind };
  } catch (err) {
    throw errors.internal(`unable to convert to ${apiVersionOf(to)}, Kind=${to.kind}: ${(err as Error).message}`);
  }
}

/** The request's objects as one view sees them. */
export interface VersionedObjects {
  view: RequestView;
  object?: KubeObject;
  oldObject?: KubeObject;
}

/** The request's objects in a view's version, converted from the request's own. */
export async function versionedObjects(request: WebhookRequest, view: RequestView): Promise<VersionedObjects> {
  const { object, oldObject } = request.attributes;
  const from = request.own.type;
  if (!from || !view.type || view.type === from) return { view, object, oldObject };
  return {
    view,
    object: object && (await convertObject(object, from, view.type)),
    oldObject: oldObject && (await convertObject(oldObject, from, view.type)),
  };
}

export function sameView(a: RequestView, b: RequestView): boolean {
  return sameKind(a.kind, b.kind) && a.resource.group === b.resource.group && a.resource.version === b.resource.version && a.resource.resource === b.resource.resource;
}
