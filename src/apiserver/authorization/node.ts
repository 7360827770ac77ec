/**
 * The Node authorizer, as upstream's (plugin/pkg/auth/authorizer/node): a
 * node's agent (user `system:node:<name>` in `system:nodes`) may read the
 * secrets, configmaps, claims and volumes of the pods bound to it and ask for
 * their service accounts' tokens — no others — and touch only its own Lease,
 * CSINode and ResourceSlices. Writes to pods and its Node object are left to
 * RBAC and the NodeRestriction admission plugin, as upstream without
 * AuthorizeNodeWithSelectors (our request attributes carry no field selector).
 *
 * Where upstream refuses (a "NODE DENY" answered as no opinion with a
 * reason), this answers `deny` with the same reason, so a role bound to
 * system:nodes for the rest cannot widen what the graph restricts.
 */
import { nodesGroup, nodeUserPrefix } from '../../api/certificates/signers.js';
import { ruleAllows, type RequestAttributes, type UserIdentity } from '../../api/rbac/authorize.js';
import type { PolicyRule } from '../../api/rbac/schema.js';
import type { KubeObject } from '../../machinery/object.js';

/** Set by the node agent on the API copy of a static pod (upstream's MirrorPodAnnotationKey). */
export const mirrorPodAnnotation = 'kubernetes.io/config.mirror';
/** Where node heartbeats live (upstream's NamespaceNodeLease). */
export const nodeLeaseNamespace = 'kube-node-lease';

/**
 * The node a user is (upstream's nodeidentifier): its name for
 * `system:node:<name>` in group `system:nodes`, `''` for such a user without
 * a name (a node, but not one that can be told apart), undefined otherwise.
 */
export function nodeIdentity(user: UserIdentity): string | undefined {
  if (!user.name.startsWith(nodeUserPrefix) || !user.groups.includes(nodesGroup)) return undefined;
  return user.name.slice(nodeUserPrefix.length);
}

// --- the graph: which objects a node may reach through the pods bound to it ---

export type GraphKind = 'pod' | 'secret' | 'configmap' | 'persistentvolumeclaim' | 'persistentvolume' | 'resourceclaim' | 'serviceaccount' | 'volumeattachment' | 'resourceslice';

export interface NodeGraph {
  /** Whether the object is related to the node (upstream's hasPathFrom). Cluster-scoped kinds take namespace `''`. */
  hasPath(nodeName: string, kind: GraphKind, namespace: string, name: string): boolean;
}

interface NameRef {
  name?: string;
  namespace?: string;
}
interface Container {
  env?: { valueFrom?: { secretKeyRef?: NameRef; configMapKeyRef?: NameRef } }[];
  envFrom?: { secretRef?: NameRef; configMapRef?: NameRef }[];
}
interface Volume {
  name?: string;
  secret?: { secretName?: string };
  configMap?: NameRef;
  projected?: { sources?: { secret?: NameRef; configMap?: NameRef; clusterTrustBundle?: unknown }[] };
  persistentVolumeClaim?: { claimName?: string };
  ephemeral?: unknown;
  azureFile?: { secretName?: string };
  csi?: { nodePublishSecretRef?: NameRef };
  [source: string]: unknown;
}
interface PodSpec {
  nodeName?: string;
  serviceAccountName?: string;
  imagePullSecrets?: NameRef[];
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Volume[];
  resourceClaims?: { name: string; resourceClaimName?: string | null; resourceClaimTemplateName?: string | null }[];
}
type Pod = KubeObject & { spec?: PodSpec; status?: { resourceClaimStatuses?: { name: string; resourceClaimName?: string | null }[] } };
type PersistentVolume = KubeObject & { spec?: { claimRef?: NameRef; [source: string]: unknown } };
type PersistentVolumeClaim = KubeObject & { spec?: { volumeName?: string } };
type NodeBound = KubeObject & { spec?: { nodeName?: string } };

/** Pod volume sources whose `secretRef` names a secret in the pod's namespace. */
const podSecretRefSources = ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos'];

function containersOf(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/** Every secret a pod names (upstream's VisitPodSecretNames): pull secrets, env, volumes — all containers. */
export function podSecretNames(pod: KubeObject): string[] {
  const spec = (pod as Pod).spec ?? {};
  const names: (string | undefined)[] = (spec.imagePullSecrets ?? []).map((ref) => ref.name);
  for (const container of containersOf(spec)) {
    for (const from of container.envFrom ?? []) names.push(from.secretRef?.name);
    for (const env of container.env ?? []) names.push(env.valueFrom?.secretKeyRef?.name);
  }
  for (const volume of spec.volumes ?? []) {
    names.push(volume.secret?.secretName, volume.azureFile?.secretName, volume.csi?.nodePublishSecretRef?.name);
    for (const source of podSecretRefSources) names.push((volume[source] as { secretRef?: NameRef } | undefined)?.secretRef?.name);
    for (const projection of volume.projected?.sources ?? []) names.push(projection.secret?.name);
  }
  return names.filter((name): name is string => !!name);
}

/** Every configmap a pod names (upstream's VisitPodConfigmapNames). */
export function podConfigMapNames(pod: KubeObject): string[] {
  const spec = (pod as Pod).spec ?? {};
  const names: (string | undefined)[] = [];
  for (const container of containersOf(spec)) {
    for (const from of container.envFrom ?? []) names.push(from.configMapRef?.name);
    for (const env of container.env ?? []) names.push(env.valueFrom?.configMapKeyRef?.name);
  }
  for (const volume of spec.volumes ?? []) {
    names.push(volume.configMap?.name);
    for (const projection of volume.projected?.sources ?? []) names.push(projection.configMap?.name);
  }
  return names.filter((name): name is string => !!name);
}

/** The claims a pod's volumes use: named ones, and the `<pod>-<volume>` claim of each ephemeral volume. */
function podClaimNames(pod: Pod): string[] {
  const names: string[] = [];
  for (const volume of pod.spec?.volumes ?? []) {
    if (volume.persistentVolumeClaim?.claimName) names.push(volume.persistentVolumeClaim.claimName);
    else if (volume.ephemeral) names.push(`${pod.metadata.name}-${volume.name}`);
  }
  return names;
}

/** The ResourceClaims a pod uses; a template's claim once the pod's status names it (upstream's resourceclaim.Name). */
function podResourceClaimNames(pod: Pod): string[] {
  const names: string[] = [];
  for (const claim of pod.spec?.resourceClaims ?? []) {
    if (claim.resourceClaimName) names.push(claim.resourceClaimName);
    else if (claim.resourceClaimTemplateName) {
      const generated = pod.status?.resourceClaimStatuses?.find((status) => status.name === claim.name)?.resourceClaimName;
      if (generated) names.push(generated);
    }
  }
  return names;
}

/** Secrets a volume's node side reads (upstream's VisitPVSecretNames, kubeletVisible only), as namespace/name. */
function persistentVolumeSecrets(pv: PersistentVolume): NameRef[] {
  const spec = pv.spec ?? {};
  const claimNamespace = spec.claimRef?.namespace ?? '';
  const azureFile = spec.azureFile as { secretName?: string; secretNamespace?: string } | undefined;
  if (azureFile) return [{ namespace: azureFile.secretNamespace || claimNamespace, name: azureFile.secretName }];
  for (const source of ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos']) {
    if (!spec[source]) continue;
    const ref = (spec[source] as { secretRef?: NameRef }).secretRef;
    if (!ref) return [];
    // A reference stored before secrets carried a namespace meant the claim's (cinder's and storageos's always carry one).
    const defaulted = source === 'cinder' || source === 'storageos' ? ref.namespace : ref.namespace || claimNamespace;
    return [{ namespace: defaulted ?? '', name: ref.name }];
  }
  const csi = spec.csi as Record<string, NameRef | undefined> | undefined;
  if (csi) return [csi.nodePublishSecretRef, csi.nodeStageSecretRef, csi.nodeExpandSecretRef].filter((ref): ref is NameRef => !!ref);
  return [];
}

/** What the graph reads; each is called while answering, so they should read memory (watch caches). */
export interface NodeGraphSources {
  /** Every pod (order does not matter); only those with `spec.nodeName` count. */
  pods(): Iterable<KubeObject>;
  /** Changes whenever the pods may have; the index is rebuilt on the first question after a change. */
  revision(): number;
  pvc?(namespace: string, name: string): KubeObject | undefined;
  pv?(name: string): KubeObject | undefined;
  volumeAttachment?(name: string): KubeObject | undefined;
  resourceSlice?(name: string): KubeObject | undefined;
}

const key = (kind: GraphKind, namespace: string, name: string) => `${kind}\0${namespace}\0${name}`;

interface PodRelations {
  resourceVersion: string | undefined;
  keys: string[];
  claims: [namespace: string, name: string][];
}

interface NodeRelations {
  keys: Set<string>;
  claims: [namespace: string, name: string][];
}

/** The objects each pod makes reachable (upstream's AddPod edges). */
function podRelations(pod: Pod): PodRelations {
  const namespace = pod.metadata.namespace ?? '';
  const relations: PodRelations = { resourceVersion: pod.metadata.resourceVersion, keys: [key('pod', namespace, pod.metadata.name ?? '')], claims: [] };
  // A mirror pod grants nothing: a node must not gain access by creating one (defense beside NodeRestriction).
  if (pod.metadata.annotations && mirrorPodAnnotation in pod.metadata.annotations) return relations;
  if (pod.spec?.serviceAccountName) relations.keys.push(key('serviceaccount', namespace, pod.spec.serviceAccountName));
  for (const name of podSecretNames(pod)) relations.keys.push(key('secret', namespace, name));
  for (const name of podConfigMapNames(pod)) relations.keys.push(key('configmap', namespace, name));
  for (const name of podClaimNames(pod)) {
    relations.keys.push(key('persistentvolumeclaim', namespace, name));
    relations.claims.push([namespace, name]);
  }
  for (const name of podResourceClaimNames(pod)) relations.keys.push(key('resourceclaim', namespace, name));
  return relations;
}

/**
 * A NodeGraph over the apiserver's caches: the pods are indexed by node once
 * per revision (each pod's references are remembered while its
 * resourceVersion stays, so a rebuild after one change is cheap); volumes,
 * attachments and slices are looked up when asked about.
 */
export class NodeGraphIndex implements NodeGraph {
  private byNode = new Map<string, NodeRelations>();
  private builtAt: number | undefined;
  private readonly podCache = new WeakMap<object, PodRelations>();

  constructor(private readonly sources: NodeGraphSources) {}

  hasPath(nodeName: string, kind: GraphKind, namespace: string, name: string): boolean {
    if (!nodeName || !name) return false;
    if (kind === 'volumeattachment') return (this.sources.volumeAttachment?.(name) as NodeBound | undefined)?.spec?.nodeName === nodeName;
    if (kind === 'resourceslice') return (this.sources.resourceSlice?.(name) as NodeBound | undefined)?.spec?.nodeName === nodeName;
    const relations = this.relationsOf(nodeName);
    if (!relations) return false;
    if (kind === 'persistentvolume') {
      // pv → pvc by the volume's claimRef, as upstream's AddPV.
      const ref = (this.sources.pv?.(name) as PersistentVolume | undefined)?.spec?.claimRef;
      return !!ref?.name && relations.keys.has(key('persistentvolumeclaim', ref.namespace ?? '', ref.name));
    }
    if (relations.keys.has(key(kind, namespace, name))) return true;
    return kind === 'secret' && this.secretOfBoundVolume(relations, namespace, name);
  }

  /** A secret a bound volume of one of the node's claims names: pod → pvc → pv → secret. */
  private secretOfBoundVolume(relations: NodeRelations, namespace: string, name: string): boolean {
    for (const [claimNamespace, claimName] of relations.claims) {
      const volumeName = (this.sources.pvc?.(claimNamespace, claimName) as PersistentVolumeClaim | undefined)?.spec?.volumeName;
      const pv = volumeName ? (this.sources.pv?.(volumeName) as PersistentVolume | undefined) : undefined;
      const ref = pv?.spec?.claimRef;
      if (!pv || ref?.name !== claimName || (ref.namespace ?? '') !== claimNamespace) continue;
      if (persistentVolumeSecrets(pv).some((secret) => secret.name === name && secret.namespace === namespace)) return true;
    }
    return false;
  }

  private relationsOf(nodeName: string): NodeRelations | undefined {
    const revision = this.sources.revision();
    if (revision !== this.builtAt) {
      this.byNode = this.build();
      this.builtAt = revision;
    }
    return this.byNode.get(nodeName);
  }

  private build(): Map<string, NodeRelations> {
    const byNode = new Map<string, NodeRelations>();
    for (const object of this.sources.pods()) {
      const pod = object as Pod;
      const nodeName = pod.spec?.nodeName;
      if (!nodeName) continue;
      let relations = this.podCache.get(pod);
      if (!relations || relations.resourceVersion !== pod.metadata.resourceVersion) {
        relations = podRelations(pod);
        this.podCache.set(pod, relations);
      }
      let node = byNode.get(nodeName);
      if (!node) byNode.set(nodeName, (node = { keys: new Set(), claims: [] }));
      for (const k of relations.keys) node.keys.add(k);
      for (const claim of relations.claims) node.claims.push(claim);
    }
    return byNode;
  }
}

// --- the decision ---

export interface NodeDecision {
  decision: 'allow' | 'deny' | 'no-opinion';
  reason: string;
}

const allowed: NodeDecision = { decision: 'allow', reason: '' };
const noOpinion: NodeDecision = { decision: 'no-opinion', reason: '' };
// As upstream, a refusal is no opinion with a reason: it reaches the Forbidden message, and RBAC may still grant.
const denied = (reason: string): NodeDecision => ({ decision: 'no-opinion', reason });

/** The last step of every graph check (upstream's authorize). */
function related(nodeName: string, kind: GraphKind, a: RequestAttributes, graph: NodeGraph): NodeDecision {
  if (!a.name) return denied('No Object name found');
  if (!graph.hasPath(nodeName, kind, a.namespace ?? '', a.name)) return denied(`no relationship found between node '${nodeName}' and this object`);
  return allowed;
}

/** get, list and watch of one named object (a list or watch names it by `metadata.name` field selector). */
function readNamespacedObject(nodeName: string, kind: GraphKind, a: RequestAttributes, graph: NodeGraph): NodeDecision {
  if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch') return denied('can only read resources of this type');
  if (a.subresource) return denied('cannot read subresource');
  if (!a.namespace) return denied('can only read namespaced object of this type');
  return related(nodeName, kind, a, graph);
}

function getObject(nodeName: string, kind: GraphKind, a: RequestAttributes, graph: NodeGraph): NodeDecision {
  if (a.verb !== 'get') return denied('can only get individual resources of this type');
  if (a.subresource) return denied('cannot get subresource');
  return related(nodeName, kind, a, graph);
}

/** A claim's status, which the node updates when it expands a volume. */
function updateStatus(nodeName: string, kind: GraphKind, a: RequestAttributes, graph: NodeGraph): NodeDecision {
  if (a.verb !== 'update' && a.verb !== 'patch') return denied('can only get/update/patch this type');
  if (a.subresource !== 'status') return denied('can only update status subresource');
  return related(nodeName, kind, a, graph);
}

function createToken(nodeName: string, a: RequestAttributes, graph: NodeGraph): NodeDecision {
  if (a.verb !== 'create' || !a.name) return denied('can only create tokens for individual service accounts');
  if (a.subresource !== 'token') return denied('can only create token subresource of serviceaccount');
  return related(nodeName, 'serviceaccount', a, graph);
}

const ownObjectVerbs = new Set(['get', 'create', 'update', 'patch', 'delete']);

/** The node's Lease and CSINode: only its own name (a create's name is checked by NodeRestriction). */
function ownLease(nodeName: string, a: RequestAttributes): NodeDecision {
  if (!ownObjectVerbs.has(a.verb)) return denied('can only get, create, update, patch, or delete a node lease');
  if (a.namespace !== nodeLeaseNamespace) return denied(`can only access leases in the "${nodeLeaseNamespace}" system namespace`);
  if (a.verb !== 'create' && a.name !== nodeName) return denied('can only access node lease with the same name as the requesting node');
  return allowed;
}

function ownCSINode(nodeName: string, a: RequestAttributes): NodeDecision {
  if (!ownObjectVerbs.has(a.verb)) return denied('can only get, create, update, patch, or delete a CSINode');
  if (a.subresource) return denied('cannot authorize CSINode subresources');
  if (a.verb !== 'create' && a.name !== nodeName) return denied('can only access CSINode with the same name as the requesting node');
  return allowed;
}

function resourceSlice(nodeName: string, a: RequestAttributes, graph: NodeGraph): NodeDecision {
  if (a.subresource) return denied('cannot authorize ResourceSlice subresources');
  switch (a.verb) {
    case 'create': // NodeRestriction checks spec.nodeName, which the authorizer cannot see
    case 'list': // without field selectors in the attributes, as upstream without AuthorizeNodeWithSelectors
    case 'watch':
    case 'deletecollection':
      return allowed;
    case 'get':
    case 'update':
    case 'patch':
    case 'delete':
      return related(nodeName, 'resourceslice', a, graph);
    default:
      return denied('only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection');
  }
}

/**
 * The Node authorizer's answer for a request by `user` (upstream's
 * NodeAuthorizer.Authorize): what its pods need through the graph, its own
 * Lease and CSINode, and for everything else `nodeRules` (the system:node
 * role's rules, which upstream binds to no one: nodes get them here).
 */
export function authorizeNode(attributes: RequestAttributes, user: UserIdentity, graph: NodeGraph, nodeRules: PolicyRule[] = []): NodeDecision {
  const nodeName = nodeIdentity(user);
  if (nodeName === undefined) return noOpinion;
  if (!nodeName) return denied(`unknown node for user ${JSON.stringify(user.name)}`);
  const byRules = () => (nodeRules.some((rule) => ruleAllows(attributes, rule)) ? allowed : noOpinion);
  if (!attributes.resourceRequest) return byRules();
  const a = attributes;
  switch (`${a.apiGroup ?? ''}/${a.resource ?? ''}`) {
    case '/secrets':
      return readNamespacedObject(nodeName, 'secret', a, graph);
    case '/configmaps':
      return readNamespacedObject(nodeName, 'configmap', a, graph);
    case '/persistentvolumeclaims':
      return a.subresource === 'status' ? updateStatus(nodeName, 'persistentvolumeclaim', a, graph) : getObject(nodeName, 'persistentvolumeclaim', a, graph);
    case '/persistentvolumes':
      return getObject(nodeName, 'persistentvolume', a, graph);
    case 'resource.k8s.io/resourceclaims':
      return getObject(nodeName, 'resourceclaim', a, graph);
    case 'storage.k8s.io/volumeattachments':
      return getObject(nodeName, 'volumeattachment', a, graph);
    case '/serviceaccounts':
      return createToken(nodeName, a, graph);
    case 'coordination.k8s.io/leases':
      return ownLease(nodeName, a);
    case 'storage.k8s.io/csinodes':
      return ownCSINode(nodeName, a);
    case 'resource.k8s.io/resourceslices':
      return resourceSlice(nodeName, a, graph);
    default:
      // Pods, nodes, events and the rest: the node role's rules decide, NodeRestriction limits the writes.
      return byRules();
  }
}

/**
 * What the Node authorizer says it allows a user (SelfSubjectRulesReview): for
 * a node, that it cannot list its rules (they depend on its pods), as upstream.
 */
export function nodeRulesFor(user: UserIdentity): { resourceRules: []; nonResourceRules: []; incomplete: boolean; errors: string[] } {
  if (nodeIdentity(user) === undefined) return { resourceRules: [], nonResourceRules: [], incomplete: false, errors: [] };
  return { resourceRules: [], nonResourceRules: [], incomplete: true, errors: ['node authorizer does not support user rule resolution'] };
}
