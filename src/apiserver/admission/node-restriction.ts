/**
 * NodeRestriction, as upstream's admission plugin: what the Node authorizer
 * lets every node do (create and delete pods, update pod and node status,
 * write Nodes, Leases, CSINodes, ResourceSlices, ask for tokens) each node may
 * do only for itself — mirror pods bound to it that reference nothing else,
 * its own Node without steering labels or taints, the status of its pods,
 * tokens for pods it runs.
 *
 * It refuses in the validating phase (upstream's is a mutating plugin that
 * never mutates): deletes reach only that phase here, and it then sees the
 * object as it will be stored.
 */
import type { KubeObject } from '../../machinery/object.js';
import { isPlainObject } from '../../machinery/object.js';
import { errors, type StatusError } from '../../machinery/status.js';
import { mirrorPodAnnotation, nodeIdentity, nodeLeaseNamespace, podConfigMapNames, podSecretNames } from '../authorization/node.js';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.js';

/** Reads of current objects (from the watch caches); undefined when there is none. */
export interface NodeRestrictionLookups {
  getPod(namespace: string, name: string): Promise<KubeObject | undefined>;
  getNode(name: string): Promise<KubeObject | undefined>;
}

type Pod = KubeObject & {
  spec?: { nodeName?: string; serviceAccountName?: string; volumes?: { persistentVolumeClaim?: unknown; projected?: { sources?: { clusterTrustBundle?: unknown }[] } }[] };
  status?: { resourceClaimStatuses?: { name: string; resourceClaimName?: string | null }[] };
};
type Node = KubeObject & { spec?: { configSource?: unknown; taints?: unknown[] } };
type TokenRequest = KubeObject & { spec?: { boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } } };

const quote = (text: string) => JSON.stringify(text);

/** Upstream's admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`, the name from the request or its object. */
function forbidden(a: AdmissionAttributes, why: string): StatusError {
  const name = a.name || a.object?.metadata.name || a.object?.metadata.generateName || 'Unknown';
  return errors.forbidden(a.type.group, a.type.resource, name, why);
}

/** What a lister answers for a missing object (upstream's NodeRestriction passes it on). */
const listerNotFound = (kind: string, name: string) => errors.notFound('', kind, name);

async function currentPod(lookups: NodeRestrictionLookups, namespace: string, name: string): Promise<Pod> {
  const pod = (await lookups.getPod(namespace, name)) as Pod | undefined;
  if (!pod) throw listerNotFound('pod', name);
  return pod;
}

// --- pods ---

async function admitPodCreate(nodeName: string, a: AdmissionAttributes, lookups: NodeRestrictionLookups): Promise<void> {
  const pod = a.object as Pod | undefined;
  if (!pod) throw forbidden(a, 'unexpected type <nil>');
  if (!(mirrorPodAnnotation in (pod.metadata.annotations ?? {}))) {
    throw forbidden(a, `pod does not have "${mirrorPodAnnotation}" annotation, node ${quote(nodeName)} can only create mirror pods`);
  }
  if (pod.spec?.nodeName !== nodeName) throw forbidden(a, `node ${quote(nodeName)} can only create pods with spec.nodeName set to itself`);
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1) throw forbidden(a, `node ${quote(nodeName)} can only create pods with a single owner reference set to itself`);
  const [owner] = owners;
  if (!owner || owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== nodeName) {
    throw forbidden(a, `node ${quote(nodeName)} can only create pods with an owner reference set to itself`);
  }
  if (owner.controller !== true) throw forbidden(a, `node ${quote(nodeName)} can only create pods with a controller owner reference set to itself`);
  if (owner.blockOwnerDeletion === true) throw forbidden(a, `node ${quote(nodeName)} must not set blockOwnerDeletion on an owner reference`);
  const node = await lookups.getNode(nodeName);
  if (!node) throw listerNotFound('node', nodeName);
  if (owner.uid !== node.metadata.uid) throw forbidden(a, `node ${nodeName} UID mismatch: expected ${owner.uid} got ${node.metadata.uid ?? ''}`);

  // A node must not be able to reach other objects through a pod it creates.
  if (pod.spec?.serviceAccountName) throw forbidden(a, `node ${quote(nodeName)} can not create pods that reference a service account`);
  if (podSecretNames(pod).length > 0) throw forbidden(a, `node ${quote(nodeName)} can not create pods that reference secrets`);
  if (podConfigMapNames(pod).length > 0) throw forbidden(a, `node ${quote(nodeName)} can not create pods that reference configmaps`);
  const volumes = pod.spec?.volumes ?? [];
  if (volumes.some((volume) => volume.projected?.sources?.some((source) => source.clusterTrustBundle))) {
    throw forbidden(a, `node ${quote(nodeName)} can not create pods that reference clustertrustbundles`);
  }
  if (volumes.some((volume) => volume.persistentVolumeClaim)) throw forbidden(a, `node ${quote(nodeName)} can not create pods that reference persistentvolumeclaims`);
}

async function admitPod(nodeName: string, a: AdmissionAttributes, lookups: NodeRestrictionLookups): Promise<void> {
  if (a.operation === 'CREATE') return admitPodCreate(nodeName, a, lookups);
  if (a.operation === 'DELETE') {
    const pod = (a.oldObject as Pod | undefined) ?? (await currentPod(lookups, a.namespace ?? '', a.name ?? ''));
    if (pod.spec?.nodeName !== nodeName) throw forbidden(a, `node ${quote(nodeName)} can only delete pods with spec.nodeName set to itself`);
    return;
  }
  throw forbidden(a, `unexpected operation ${quote(a.operation)}, node ${quote(nodeName)} can only create and delete mirror pods`);
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = Object.entries(a ?? {});
  return left.length === Object.keys(b ?? {}).length && left.every(([k, v]) => b?.[k] === v);
}

function sameClaimStatuses(a: Pod, b: Pod): boolean {
  const left = a.status?.resourceClaimStatuses ?? [];
  const right = b.status?.resourceClaimStatuses ?? [];
  return left.length === right.length && left.every((status, i) => status.name === right[i].name && (status.resourceClaimName ?? null) === (right[i].resourceClaimName ?? null));
}

function admitPodStatus(nodeName: string, a: AdmissionAttributes): void {
  if (a.operation !== 'UPDATE') throw forbidden(a, `unexpected operation ${quote(a.operation)}`);
  const old = a.oldObject as Pod | undefined;
  const next = a.object as Pod | undefined;
  if (!old || !next) throw forbidden(a, 'unexpected type <nil>');
  if (old.spec?.nodeName !== nodeName) throw forbidden(a, `node ${quote(nodeName)} can only update pod status for pods with spec.nodeName set to itself`);
  if (!sameLabels(old.metadata.labels, next.metadata.labels)) throw forbidden(a, `node ${quote(nodeName)} cannot update labels through pod status`);
  if (!sameClaimStatuses(old, next)) throw forbidden(a, `node ${quote(nodeName)} cannot update resource claim statues`);
}

async function admitPodEviction(nodeName: string, a: AdmissionAttributes, lookups: NodeRestrictionLookups): Promise<void> {
  if (a.operation !== 'CREATE') throw forbidden(a, `unexpected operation ${a.operation}`);
  if (!a.object) throw forbidden(a, 'unexpected type <nil>');
  // The pod named by the URL, rather than by the submitted Eviction.
  const podName = a.name || a.object.metadata.name;
  if (!podName) throw forbidden(a, 'could not determine pod from request data');
  const pod = await currentPod(lookups, a.namespace ?? '', podName);
  if (pod.spec?.nodeName !== nodeName) throw forbidden(a, `node ${nodeName} can only evict pods with spec.nodeName set to itself`);
}

// --- persistent volume claims ---

/** Equal as upstream's Semantic.DeepEqual sees JSON: a missing, null, empty list or empty map value are all "nil". */
function semanticEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => semanticEqual(item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => semanticEqual(a[k], b[k]));
  }
  return a === b;
}

/** A claim without what a node may change: capacity, conditions and (RecoverVolumeExpansionFailure, on in v1.32) the allocated resources. */
function withoutNodeStatus(claim: KubeObject): KubeObject {
  const copy = structuredClone(claim);
  delete copy.metadata.resourceVersion;
  delete copy.metadata.managedFields;
  const status = copy.status as Record<string, unknown> | undefined;
  if (status) for (const field of ['capacity', 'conditions', 'allocatedResources', 'allocatedResourceStatuses']) delete status[field];
  return copy;
}

function admitPVCStatus(nodeName: string, a: AdmissionAttributes): void {
  if (a.operation !== 'UPDATE') throw forbidden(a, `unexpected operation ${quote(a.operation)}`);
  if (!a.oldObject || !a.object) throw forbidden(a, 'unexpected type <nil>');
  // Upstream appends a diff of the two objects; the fields named are what matters.
  if (!semanticEqual(withoutNodeStatus(a.oldObject), withoutNodeStatus(a.object))) {
    throw forbidden(a, `node ${quote(nodeName)} is not allowed to update fields other than status.quantity and status.conditions`);
  }
}

// --- nodes ---

/** Labels a node may set on itself (k8s.io/kubelet's kubeletLabels and kubeletLabelNamespaces). */
const kubeletLabels = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const kubeletLabelNamespaces = ['kubelet.kubernetes.io', 'node.kubernetes.io'];
const nodeRestrictionLabelNamespace = 'node-restriction.kubernetes.io';

const labelNamespace = (key: string) => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inNamespace = (namespace: string, domain: string) => namespace === domain || namespace.endsWith(`.${domain}`);

function isKubeletLabel(key: string): boolean {
  return kubeletLabels.has(key) || kubeletLabelNamespaces.some((domain) => inNamespace(labelNamespace(key), domain));
}

function isKubernetesLabel(key: string): boolean {
  const namespace = labelNamespace(key);
  return inNamespace(namespace, 'kubernetes.io') || inNamespace(namespace, 'k8s.io');
}

/** The keys added, removed or changed between two label sets, that a node may not touch (sorted, as upstream lists them). */
function forbiddenLabelChanges(next: Record<string, string> | undefined, old: Record<string, string> | undefined): string[] {
  const a = next ?? {};
  const b = old ?? {};
  const modified = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !(k in a) || !(k in b) || a[k] !== b[k]);
  return modified
    .filter((k) => inNamespace(labelNamespace(k), nodeRestrictionLabelNamespace) || (isKubernetesLabel(k) && !isKubeletLabel(k)))
    .sort();
}

function admitNode(nodeName: string, a: AdmissionAttributes): void {
  const requested = a.name || (a.operation === 'CREATE' ? a.object?.metadata.name : undefined) || '';
  if (requested !== nodeName) throw forbidden(a, `node ${quote(nodeName)} is not allowed to modify node ${quote(requested)}`);
  const node = a.object as Node | undefined;
  if (a.operation === 'CREATE') {
    if (!node) throw forbidden(a, 'unexpected type <nil>');
    // The node is authorized by what its spec lists: naming a config source would widen what it may read.
    if (node.spec?.configSource != null) throw forbidden(a, `node ${quote(nodeName)} is not allowed to create pods with a non-nil configSource`);
    // Labels that steer workloads (node-restriction.kubernetes.io/, unknown kubernetes.io ones) are the admin's.
    const labels = forbiddenLabelChanges(node.metadata.labels, undefined);
    if (labels.length) throw forbidden(a, `node ${quote(nodeName)} is not allowed to set the following labels: ${labels.join(', ')}`);
  }
  if (a.operation === 'UPDATE') {
    const old = a.oldObject as Node | undefined;
    if (!node || !old) throw forbidden(a, 'unexpected type <nil>');
    // Only a new non-nil source counts: older agents may drop the field in a status update.
    if (node.spec?.configSource != null && !semanticEqual(node.spec.configSource, old.spec?.configSource)) {
      throw forbidden(a, `node ${quote(nodeName)} is not allowed to update configSource to a new non-nil configSource`);
    }
    if (!semanticEqual(node.spec?.taints, old.spec?.taints)) throw forbidden(a, `node ${quote(nodeName)} is not allowed to modify taints`);
    const labels = forbiddenLabelChanges(node.metadata.labels, old.metadata.labels);
    if (labels.length) throw forbidden(a, `is not allowed to modify labels: ${labels.join(', ')}`);
  }
}

// --- tokens, leases, CSINodes, ResourceSlices ---

async function admitServiceAccountToken(nodeName: string, a: AdmissionAttributes, lookups: NodeRestrictionLookups): Promise<void> {
  if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
  const request = a.object as TokenRequest | undefined;
  if (!request) throw forbidden(a, 'unexpected type <nil>');
  // A node's token must be bound to a pod it runs (the apiserver then adds the node binding itself).
  const ref = request.spec?.boundObjectRef;
  if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw forbidden(a, 'node requested token not bound to a pod');
  if (!ref.uid) throw forbidden(a, 'node requested token with a pod binding without a uid');
  const pod = await currentPod(lookups, a.namespace ?? '', ref.name);
  if (ref.uid !== pod.metadata.uid) {
    throw forbidden(a, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  if (pod.spec?.nodeName !== nodeName) throw forbidden(a, 'node requested token bound to a pod scheduled on a different node');
}

/** A create is named by its object: the authorizer could not check it. */
const objectName = (a: AdmissionAttributes) => (a.operation === 'CREATE' ? a.object?.metadata.name : a.name);

function admitLease(nodeName: string, a: AdmissionAttributes): void {
  if (a.namespace !== nodeLeaseNamespace) throw forbidden(a, `can only access leases in the "${nodeLeaseNamespace}" system namespace`);
  if (objectName(a) !== nodeName) throw forbidden(a, 'can only access node lease with the same name as the requesting node');
}

function admitCSINode(nodeName: string, a: AdmissionAttributes): void {
  if (objectName(a) !== nodeName) throw forbidden(a, 'can only access CSINode with the same name as the requesting node');
}

/** Create and delete (one by one, also in a deletecollection): the slice's spec.nodeName must be the node. */
function admitResourceSlice(nodeName: string, a: AdmissionAttributes): void {
  if (a.operation !== 'CREATE' && a.operation !== 'DELETE') return;
  const slice = (a.operation === 'CREATE' ? a.object : a.oldObject) as (KubeObject & { spec?: { nodeName?: string } }) | undefined;
  if (!slice) throw forbidden(a, 'unexpected type <nil>');
  if ((slice.spec?.nodeName ?? '') !== nodeName) {
    throw forbidden(a, `can only ${a.operation === 'CREATE' ? 'create' : 'delete'} ResourceSlice with the same NodeName as the requesting node`);
  }
}

export function nodeRestriction(lookups: NodeRestrictionLookups): AdmissionPlugin {
  return {
    name: 'NodeRestriction',
    async validate(a) {
      if (a.operation === 'CONNECT') return;
      const nodeName = nodeIdentity({ name: a.user.username, groups: a.user.groups });
      if (nodeName === undefined) return;
      if (!nodeName) throw forbidden(a, `could not determine node from user ${quote(a.user.username)}`);
      switch (`${a.type.group}/${a.type.resource}`) {
        case '/pods':
          if (!a.subresource) return admitPod(nodeName, a, lookups);
          if (a.subresource === 'status') return admitPodStatus(nodeName, a);
          if (a.subresource === 'eviction') return admitPodEviction(nodeName, a, lookups);
          throw forbidden(a, `unexpected pod subresource ${quote(a.subresource)}, only 'status' and 'eviction' are allowed`);
        case '/nodes':
          return admitNode(nodeName, a);
        case '/persistentvolumeclaims':
          if (a.subresource === 'status') return admitPVCStatus(nodeName, a);
          throw forbidden(a, 'may only update PVC status');
        case '/serviceaccounts':
          return admitServiceAccountToken(nodeName, a, lookups);
        case 'coordination.k8s.io/leases':
          return admitLease(nodeName, a);
        case 'storage.k8s.io/csinodes':
          return admitCSINode(nodeName, a);
        case 'resource.k8s.io/resourceslices':
          return admitResourceSlice(nodeName, a);
      }
    },
  };
}
