/**
 * What policy expressions see of a request: `request` (upstream's
 * AdmissionRequest as JSON: empty optional fields are absent, as its
 * `omitempty` tags make them), `namespaceObject` (the subset of the
 * Namespace upstream copies), and every value as CEL holds it (whole
 * numbers are ints, lists are metered for the cost budget).
 */
import type { ResourceType } from '../../../api/resource.js';
import { meteredList } from '../../../machinery/cel/cost.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { AdmissionAttributes } from '../chain.js';

const isCoreNamespaces = (type: ResourceType) => type.group === '' && type.resource === 'namespaces';

/**
 * The request's namespace as upstream's admission attributes carry it: a
 * request on a Namespace object names the namespace itself.
 */
export function requestNamespace(attributes: AdmissionAttributes): string {
  if (isCoreNamespaces(attributes.type)) return attributes.name ?? attributes.object?.metadata.name ?? attributes.oldObject?.metadata.name ?? '';
  return attributes.type.namespaced ? attributes.namespace ?? '' : '';
}

/** The request's name; a create that is to generate one has none yet. */
export function requestName(attributes: AdmissionAttributes): string {
  return attributes.name ?? attributes.object?.metadata.name ?? attributes.oldObject?.metadata.name ?? '';
}

const omitEmpty = (value: string) => (value === '' ? undefined : value);

/** The options object of the operation, as upstream passes it (what skiff knows of it). */
function operationOptions(attributes: AdmissionAttributes): Record<string, unknown> | null {
  const kind = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions', CONNECT: undefined }[attributes.operation];
  if (!kind) return null;
  return { kind, apiVersion: 'meta.k8s.io/v1', ...(attributes.dryRun ? { dryRun: ['All'] } : {}) };
}

/**
 * `request`: `matched` is the resource the policy matched (another version
 * of the same storage under matchPolicy Equivalent), `requested` the one
 * the client asked for.
 */
export function admissionRequest(attributes: AdmissionAttributes, matched: ResourceType): Record<string, unknown> {
  const requested = attributes.type;
  const user = attributes.user;
  const subresource = omitEmpty(attributes.subresource ?? '');
  return {
    kind: { group: matched.group, version: matched.version, kind: matched.kind },
    resource: { group: matched.group, version: matched.version, resource: matched.resource },
    subResource: subresource,
    requestKind: { group: requested.group, version: requested.version, kind: requested.kind },
    requestResource: { group: requested.group, version: requested.version, resource: requested.resource },
    requestSubResource: subresource,
    name: omitEmpty(requestName(attributes)),
    namespace: omitEmpty(requestNamespace(attributes)),
    operation: attributes.operation,
    userInfo: {
      username: omitEmpty(user.username),
      uid: omitEmpty(user.uid ?? ''),
      groups: user.groups.length > 0 ? user.groups : undefined,
      extra: user.extra && Object.keys(user.extra).length > 0 ? user.extra : undefined,
    },
    dryRun: attributes.dryRun,
    options: operationOptions(attributes),
  };
}

/** `namespaceObject`: the fields upstream's CreateNamespaceObject keeps. */
export function namespaceView(namespace: KubeObject): Record<string, unknown> {
  const m = namespace.metadata;
  return {
    metadata: {
      name: m.name, generateName: m.generateName, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion,
      generation: m.generation, creationTimestamp: m.creationTimestamp, deletionTimestamp: m.deletionTimestamp,
      deletionGracePeriodSeconds: m.deletionGracePeriodSeconds, labels: m.labels, annotations: m.annotations, finalizers: m.finalizers,
    },
    spec: namespace.spec ?? {},
    status: namespace.status ?? {},
  };
}

/**
 * A JSON value as CEL holds it: whole numbers as ints, other numbers as
 * doubles, lists metered, absent (undefined) fields left out. Objects come
 * from decoded JSON, so the depth is already bounded by the request's.
 */
export function toCel(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return meteredList(value.map(toCel));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item === undefined) continue;
      // A `__proto__` key from JSON is a field like any other, not the prototype.
      Object.defineProperty(out, key, { value: toCel(item), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
