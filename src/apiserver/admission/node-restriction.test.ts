/**
 * NodeRestriction, table-tested after upstream's noderestriction
 * admission_test.go: node "mynode" acting on its own and other nodes' pods,
 * Node, tokens, leases, CSINodes, ResourceSlices and claims.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceType } from '../../api/resource.js';
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import type { UserInfo } from '../authentication.js';
import type { AdmissionAttributes, Operation } from './chain.js';
import { nodeRestriction } from './node-restriction.js';

const mynode: UserInfo = { username: 'system:node:mynode', groups: ['system:nodes', 'system:authenticated'] };
const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };

const type = (group: string, resource: string, namespaced: boolean) => ({ group, resource, namespaced, version: 'v1', kind: '' }) as unknown as ResourceType;
const pods = type('', 'pods', true);
const nodes = type('', 'nodes', false);
const claims = type('', 'persistentvolumeclaims', true);
const serviceAccounts = type('', 'serviceaccounts', true);
const configMaps = type('', 'configmaps', true);
const leases = type('coordination.k8s.io', 'leases', true);
const csiNodes = type('storage.k8s.io', 'csinodes', false);
const slices = type('resource.k8s.io', 'resourceslices', false);

const owner = (name: string): OwnerReference => ({ apiVersion: 'v1', kind: 'Node', name, uid: `${name}-uid`, controller: true });
function makePod(name: string, nodeName: string, mirror: boolean, spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name, namespace: 'ns', uid: 'pod-uid', ...(mirror ? { annotations: { 'kubernetes.io/config.mirror': 'true' }, ownerReferences: [owner(nodeName)] } : {}) },
    spec: { nodeName, ...spec },
  };
}
const mymirrorpod = makePod('mymirrorpod', 'mynode', true);
const othermirrorpod = makePod('othermirrorpod', 'othernode', true);
const mypod = makePod('mypod', 'mynode', false);
const otherpod = makePod('otherpod', 'othernode', false);
const unboundpod = makePod('unboundpod', '', false);
const existing = new Map([mymirrorpod, othermirrorpod, mypod, otherpod, unboundpod].map((p) => [p.metadata.name!, p]));
const mynodeObject: KubeObject = { metadata: { name: 'mynode', uid: 'mynode-uid' } };

const eviction = (name: string): KubeObject => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'ns' } });
const tokenRequest = (podName: string, uid: string): KubeObject => ({ metadata: {}, spec: { audiences: ['foo'], ...(podName ? { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: podName, uid } } : {}) } });
const node = (labels?: Record<string, string>, spec: Record<string, unknown> = {}, name = 'mynode'): KubeObject => ({ metadata: { name, uid: `${name}-uid`, ...(labels ? { labels } : {}) }, spec });
const lease = (name: string, namespace: string): KubeObject => ({ metadata: { name, namespace }, spec: { holderIdentity: name } });
const named = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({ metadata: { name }, spec });

const allowedLabels = (value = 'value') =>
  Object.fromEntries(
    [
      'foo',
      'example.com/foo',
      'kubernetes.io/hostname',
      'failure-domain.beta.kubernetes.io/zone',
      'failure-domain.beta.kubernetes.io/region',
      'topology.kubernetes.io/zone',
      'topology.kubernetes.io/region',
      'beta.kubernetes.io/instance-type',
      'node.kubernetes.io/instance-type',
      'beta.kubernetes.io/os',
      'beta.kubernetes.io/arch',
      'kubernetes.io/os',
      'kubernetes.io/arch',
      'kubelet.kubernetes.io/foo',
      'foo.kubelet.kubernetes.io/foo',
      'node.kubernetes.io/foo',
      'foo.node.kubernetes.io/foo',
    ].map((key) => [key, value]),
  );
const forbiddenLabels = (value = 'value') =>
  Object.fromEntries(['node-restriction.kubernetes.io/foo', 'foo.node-restriction.kubernetes.io/foo', 'other.kubernetes.io/foo', 'other.k8s.io/foo'].map((key) => [key, value]));
const forbiddenList = 'foo.node-restriction.kubernetes.io/foo, node-restriction.kubernetes.io/foo, other.k8s.io/foo, other.kubernetes.io/foo';
const taint = (value: string) => ({ taints: [{ key: 'mykey', value, effect: 'NoSchedule' }] });
const claim = (status: Record<string, unknown>, labels?: Record<string, string>): KubeObject => ({
  metadata: { name: 'pvc', namespace: 'ns', resourceVersion: '5', ...(labels ? { labels } : {}) },
  spec: { volumeName: 'pv' },
  status: { phase: 'Bound', ...status },
});

interface Case {
  name: string;
  resource: ResourceType;
  operation: Operation;
  subresource?: string;
  namespace?: string;
  objectName?: string;
  object?: KubeObject;
  oldObject?: KubeObject;
  user?: UserInfo;
  /** The whole message, or a part of it; undefined: admitted. */
  error?: string;
  code?: number;
  nodes?: KubeObject[];
}

function attributes(c: Case): AdmissionAttributes {
  return { operation: c.operation, type: c.resource, subresource: c.subresource, namespace: c.namespace, name: c.objectName, object: c.object, oldObject: c.oldObject, user: c.user ?? mynode, dryRun: false };
}

async function run(c: Case): Promise<void> {
  const knownNodes = c.nodes ?? [mynodeObject];
  const plugin = nodeRestriction({
    getPod: async (namespace, name) => (namespace === 'ns' ? existing.get(name) : undefined),
    getNode: async (name) => knownNodes.find((n) => n.metadata.name === name),
  });
  const outcome = Promise.resolve().then(() => plugin.validate!(attributes(c)));
  if (c.error === undefined) return void (await outcome);
  await assert.rejects(outcome, (err: unknown) => {
    assert.ok(isStatusError(err), String(err));
    assert.equal(err.code, c.code ?? 403);
    assert.ok(err.message.includes(c.error!), `${err.message}\n  does not include\n${c.error}`);
    return true;
  });
}

const pod = (name: string, operation: Operation, rest: Partial<Case> = {}): Case => ({ name, resource: pods, operation, namespace: 'ns', ...rest });

const cases: Case[] = [
  // mirror pods bound to this node
  pod('allow creating a mirror pod bound to self', 'CREATE', { objectName: 'mymirrorpod', object: mymirrorpod }),
  pod('forbid update of mirror pod bound to self', 'UPDATE', { objectName: 'mymirrorpod', object: mymirrorpod, oldObject: mymirrorpod, error: 'pods "mymirrorpod" is forbidden: unexpected operation "UPDATE", node "mynode" can only create and delete mirror pods' }),
  pod('allow delete of mirror pod bound to self', 'DELETE', { objectName: 'mymirrorpod' }),
  pod('forbid create of mirror pod status bound to self', 'CREATE', { subresource: 'status', objectName: 'mymirrorpod', object: mymirrorpod, error: 'forbidden: unexpected operation "CREATE"' }),
  pod('allow update of mirror pod status bound to self', 'UPDATE', { subresource: 'status', objectName: 'mymirrorpod', object: mymirrorpod, oldObject: mymirrorpod }),
  pod('allow create of eviction for mirror pod bound to self', 'CREATE', { subresource: 'eviction', objectName: 'mymirrorpod', object: eviction('mymirrorpod') }),
  pod('forbid update of eviction for mirror pod bound to self', 'UPDATE', { subresource: 'eviction', objectName: 'mymirrorpod', object: eviction('mymirrorpod'), error: 'forbidden: unexpected operation UPDATE' }),
  pod('allow create of unnamed eviction for mirror pod bound to self', 'CREATE', { subresource: 'eviction', objectName: 'mymirrorpod', object: eviction('') }),
  // pods bound to another node, or to none
  pod('forbid creating a mirror pod bound to another', 'CREATE', { objectName: 'othermirrorpod', object: othermirrorpod, error: 'node "mynode" can only create pods with spec.nodeName set to itself' }),
  pod('forbid delete of mirror pod bound to another', 'DELETE', { objectName: 'othermirrorpod', error: 'pods "othermirrorpod" is forbidden: node "mynode" can only delete pods with spec.nodeName set to itself' }),
  pod('forbid delete of a pod the request carries, bound to another', 'DELETE', { objectName: 'mypod', oldObject: otherpod, error: 'can only delete pods with spec.nodeName set to itself' }),
  pod('forbid update of normal pod status bound to another', 'UPDATE', { subresource: 'status', objectName: 'otherpod', object: otherpod, oldObject: otherpod, error: 'node "mynode" can only update pod status for pods with spec.nodeName set to itself' }),
  pod('forbid create of eviction for normal pod bound to another', 'CREATE', { subresource: 'eviction', objectName: 'otherpod', object: eviction('otherpod'), error: 'node mynode can only evict pods with spec.nodeName set to itself' }),
  pod('forbid create of unnamed eviction for normal pod unbound', 'CREATE', { subresource: 'eviction', objectName: 'unboundpod', object: eviction(''), error: 'spec.nodeName set to itself' }),
  pod('forbid creating a normal pod bound to self', 'CREATE', { objectName: 'mypod', object: mypod, error: 'pod does not have "kubernetes.io/config.mirror" annotation, node "mynode" can only create mirror pods' }),
  pod('forbid creating a pod through another subresource', 'CREATE', { subresource: 'binding', objectName: 'mypod', object: mypod, error: `unexpected pod subresource "binding", only 'status' and 'eviction' are allowed` }),
  // missing pods
  pod('forbid delete of unknown pod', 'DELETE', { objectName: 'nopod', error: 'pod "nopod" not found', code: 404 }),
  pod('forbid create of eviction for unknown pod', 'CREATE', { subresource: 'eviction', objectName: 'nopod', object: eviction('nopod'), error: 'pod "nopod" not found', code: 404 }),
  pod('forbid create of unnamed eviction for unnamed pod', 'CREATE', { subresource: 'eviction', object: eviction(''), error: 'could not determine pod from request data' }),
  pod('allow create of eviction for unnamed pod, by the eviction’s name', 'CREATE', { subresource: 'eviction', object: eviction('mypod') }),
  // pods that would reach other objects
  pod('forbid create of pod referencing service account', 'CREATE', { objectName: 'mysapod', object: makePod('mysapod', 'mynode', true, { serviceAccountName: 'foo' }), error: 'node "mynode" can not create pods that reference a service account' }),
  pod('forbid create of pod referencing secret', 'CREATE', { objectName: 'mysecretpod', object: makePod('mysecretpod', 'mynode', true, { volumes: [{ name: 'v', secret: { secretName: 'foo' } }] }), error: 'reference secrets' }),
  pod('forbid create of pod referencing a secret in an ephemeral container', 'CREATE', {
    objectName: 'p',
    object: makePod('p', 'mynode', true, { ephemeralContainers: [{ name: 'd', env: [{ name: 'x', valueFrom: { secretKeyRef: { name: 'foo', key: 'k' } } }] }] }),
    error: 'reference secrets',
  }),
  pod('forbid create of pod referencing configmap', 'CREATE', { objectName: 'myconfigmappod', object: makePod('myconfigmappod', 'mynode', true, { volumes: [{ name: 'v', configMap: { name: 'foo' } }] }), error: 'node "mynode" can not create pods that reference configmaps' }),
  pod('forbid create of pod referencing clustertrustbundle', 'CREATE', { objectName: 'myctbpod', object: makePod('myctbpod', 'mynode', true, { volumes: [{ name: 'v', projected: { sources: [{ clusterTrustBundle: { name: 'foo', path: 'p' } }] } }] }), error: 'reference clustertrustbundles' }),
  pod('forbid create of pod referencing persistentvolumeclaim', 'CREATE', { objectName: 'mypvcpod', object: makePod('mypvcpod', 'mynode', true, { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'foo' } }] }), error: 'node "mynode" can not create pods that reference persistentvolumeclaims' }),
  // pod status
  pod('forbid a label change through pod status', 'UPDATE', { subresource: 'status', objectName: 'mypod', oldObject: mypod, object: { ...mypod, metadata: { ...mypod.metadata, labels: { a: 'b' } } }, error: 'node "mynode" cannot update labels through pod status' }),
  pod('forbid a resource claim status change through pod status', 'UPDATE', {
    subresource: 'status',
    objectName: 'mypod',
    oldObject: mypod,
    object: { ...mypod, status: { resourceClaimStatuses: [{ name: 'c', resourceClaimName: 'x' }] } },
    error: 'node "mynode" cannot update resource claim statues',
  }),

  // this node's Node
  { name: 'allow create of my node', resource: nodes, operation: 'CREATE', objectName: 'mynode', object: node() },
  { name: 'allow create of my node with taints', resource: nodes, operation: 'CREATE', objectName: 'mynode', object: node(undefined, taint('A')) },
  { name: 'allow create of my node with labels', resource: nodes, operation: 'CREATE', objectName: 'mynode', object: node(allowedLabels()) },
  { name: 'forbid create of my node with forbidden labels', resource: nodes, operation: 'CREATE', objectName: 'mynode', object: node({ ...allowedLabels(), ...forbiddenLabels() }), error: `nodes "mynode" is forbidden: node "mynode" is not allowed to set the following labels: ${forbiddenList}` },
  { name: 'forbid create of my node with non-nil configSource', resource: nodes, operation: 'CREATE', objectName: 'mynode', object: node(undefined, { configSource: { configMap: { name: 'foo', namespace: 'bar', kubeletConfigKey: 'kubelet' } } }), error: 'is not allowed to create pods with a non-nil configSource' },
  { name: 'allow update of my node', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(), oldObject: node() },
  { name: 'allow delete of my node', resource: nodes, operation: 'DELETE', objectName: 'mynode' },
  { name: 'allow update of my node status', resource: nodes, operation: 'UPDATE', subresource: 'status', objectName: 'mynode', object: node(), oldObject: node() },
  { name: 'forbid update of my node: nil configSource to new non-nil configSource', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(undefined, { configSource: { configMap: { name: 'a' } } }), oldObject: node(), error: 'update configSource to a new non-nil configSource' },
  { name: 'allow update of my node: non-nil configSource to nil configSource', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(), oldObject: node(undefined, { configSource: { configMap: { name: 'a' } } }) },
  { name: 'allow update of my node: no change to taints', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(undefined, taint('A')), oldObject: node(undefined, taint('A')) },
  { name: 'allow update of my node: an empty taint list is no taints', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(undefined, { taints: [] }), oldObject: node() },
  { name: 'forbid update of my node: add taints', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(undefined, taint('A')), oldObject: node(), error: 'node "mynode" is not allowed to modify taints' },
  { name: 'forbid update of my node: change taints', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(undefined, taint('A')), oldObject: node(undefined, taint('B')), error: 'is not allowed to modify taints' },
  { name: 'allow update of my node: modify allowed labels', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(allowedLabels('b')), oldObject: node(allowedLabels('a')) },
  { name: 'allow update of my node: add allowed labels while forbidden labels exist unmodified', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node({ ...allowedLabels(), ...forbiddenLabels() }), oldObject: node(forbiddenLabels()) },
  { name: 'forbid update of my node: add labels', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(forbiddenLabels()), oldObject: node(), error: `nodes "mynode" is forbidden: is not allowed to modify labels: ${forbiddenList}` },
  { name: 'forbid update of my node: remove labels', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(), oldObject: node(forbiddenLabels()), error: `is not allowed to modify labels: ${forbiddenList}` },
  { name: 'forbid update of my node: change labels', resource: nodes, operation: 'UPDATE', objectName: 'mynode', object: node(forbiddenLabels('new')), oldObject: node(forbiddenLabels('old')), error: `is not allowed to modify labels: ${forbiddenList}` },
  // another node's Node
  { name: 'forbid create of other node', resource: nodes, operation: 'CREATE', objectName: 'othernode', object: node(undefined, {}, 'othernode'), error: 'nodes "othernode" is forbidden: node "mynode" is not allowed to modify node "othernode"' },
  { name: 'forbid create of other node pulling name from object', resource: nodes, operation: 'CREATE', object: node(undefined, {}, 'othernode'), error: 'is not allowed to modify node' },
  { name: 'forbid delete of other node', resource: nodes, operation: 'DELETE', objectName: 'othernode', error: 'is not allowed to modify node "othernode"' },
  { name: 'forbid update of other node status', resource: nodes, operation: 'UPDATE', subresource: 'status', objectName: 'othernode', object: node(undefined, {}, 'othernode'), oldObject: node(undefined, {}, 'othernode'), error: 'is not allowed to modify node' },

  // service account tokens
  { name: 'forbid create of unbound token', resource: serviceAccounts, operation: 'CREATE', subresource: 'token', namespace: 'ns', objectName: 'mysa', object: tokenRequest('', ''), error: 'serviceaccounts "mysa" is forbidden: node requested token not bound to a pod' },
  { name: 'forbid create of token bound to nonexistant pod', resource: serviceAccounts, operation: 'CREATE', subresource: 'token', namespace: 'ns', objectName: 'mysa', object: tokenRequest('nopod', 'someuid'), error: 'pod "nopod" not found', code: 404 },
  { name: 'forbid create of token bound to pod without uid', resource: serviceAccounts, operation: 'CREATE', subresource: 'token', namespace: 'ns', objectName: 'mysa', object: tokenRequest('mypod', ''), error: 'pod binding without a uid' },
  { name: 'forbid create of token bound to a recreated pod', resource: serviceAccounts, operation: 'CREATE', subresource: 'token', namespace: 'ns', objectName: 'mysa', object: tokenRequest('mypod', 'old-uid'), error: 'the UID in the bound object reference (old-uid) does not match the UID in record. The object might have been deleted and then recreated' },
  { name: 'forbid create of token bound to pod scheduled on another node', resource: serviceAccounts, operation: 'CREATE', subresource: 'token', namespace: 'ns', objectName: 'mysa', object: tokenRequest('otherpod', 'pod-uid'), error: 'node requested token bound to a pod scheduled on a different node' },
  { name: 'allow create of token bound to pod scheduled this node', resource: serviceAccounts, operation: 'CREATE', subresource: 'token', namespace: 'ns', objectName: 'mysa', object: tokenRequest('mypod', 'pod-uid') },

  // leases
  { name: 'disallowed create lease in namespace other than kube-node-lease', resource: leases, operation: 'CREATE', namespace: 'foo', objectName: 'mynode', object: lease('mynode', 'foo'), error: 'leases.coordination.k8s.io "mynode" is forbidden: can only access leases in the "kube-node-lease" system namespace' },
  { name: 'disallowed delete lease in namespace other than kube-node-lease', resource: leases, operation: 'DELETE', namespace: 'foo', objectName: 'mynode', error: 'forbidden: ' },
  { name: "disallowed create another node's lease", resource: leases, operation: 'CREATE', namespace: 'kube-node-lease', objectName: 'foo', object: lease('foo', 'kube-node-lease'), error: 'can only access node lease with the same name as the requesting node' },
  { name: "disallowed update another node's lease", resource: leases, operation: 'UPDATE', namespace: 'kube-node-lease', objectName: 'foo', object: lease('foo', 'kube-node-lease'), oldObject: lease('foo', 'kube-node-lease'), error: 'forbidden: ' },
  { name: 'allowed create node lease', resource: leases, operation: 'CREATE', namespace: 'kube-node-lease', objectName: 'mynode', object: lease('mynode', 'kube-node-lease') },
  { name: 'allowed delete node lease', resource: leases, operation: 'DELETE', namespace: 'kube-node-lease', objectName: 'mynode' },

  // CSINodes
  { name: "disallowed create another node's CSINode", resource: csiNodes, operation: 'CREATE', objectName: 'foo', object: named('foo'), error: 'csinodes.storage.k8s.io "foo" is forbidden: can only access CSINode with the same name as the requesting node' },
  { name: "disallowed delete another node's CSINode", resource: csiNodes, operation: 'DELETE', objectName: 'foo', error: 'forbidden: ' },
  { name: 'allowed update node CSINode', resource: csiNodes, operation: 'UPDATE', objectName: 'mynode', object: named('mynode'), oldObject: named('mynode') },

  // ResourceSlices
  { name: 'allow create of own ResourceSlice', resource: slices, operation: 'CREATE', objectName: 'something', object: named('something', { nodeName: 'mynode' }) },
  { name: "forbid create of another node's ResourceSlice", resource: slices, operation: 'CREATE', objectName: 'something', object: named('something', { nodeName: 'mynode-other' }), error: 'can only create ResourceSlice with the same NodeName as the requesting node' },
  { name: 'forbid create of a ResourceSlice of no node', resource: slices, operation: 'CREATE', objectName: 'something', object: named('something'), error: 'can only create ResourceSlice with the same NodeName as the requesting node' },
  { name: "forbid delete of another node's ResourceSlice", resource: slices, operation: 'DELETE', objectName: 'something', oldObject: named('something', { nodeName: 'mynode-other' }), error: 'can only delete ResourceSlice with the same NodeName as the requesting node' },
  { name: "allow update of another node's ResourceSlice (the authorizer's to refuse)", resource: slices, operation: 'UPDATE', objectName: 'something', object: named('something', { nodeName: 'mynode-other' }), oldObject: named('something', { nodeName: 'mynode-other' }) },

  // claims
  { name: 'allow a node to update a claim’s capacity and conditions', resource: claims, operation: 'UPDATE', subresource: 'status', namespace: 'ns', objectName: 'pvc', oldObject: claim({}), object: { ...claim({ capacity: { storage: '2Gi' }, conditions: [{ type: 'FileSystemResizePending', status: 'True' }] }), metadata: { name: 'pvc', namespace: 'ns' } } },
  { name: 'forbid a node to change other claim status', resource: claims, operation: 'UPDATE', subresource: 'status', namespace: 'ns', objectName: 'pvc', oldObject: claim({}), object: claim({ phase: 'Lost' }), error: 'node "mynode" is not allowed to update fields other than status.quantity and status.conditions' },
  { name: 'forbid a node to create a claim', resource: claims, operation: 'CREATE', namespace: 'ns', objectName: 'pvc', object: claim({}), error: 'persistentvolumeclaims "pvc" is forbidden: may only update PVC status' },

  // unrelated objects and users
  { name: 'allow create of unrelated object', resource: configMaps, operation: 'CREATE', namespace: 'myns', objectName: 'mycm', object: { metadata: { name: 'mycm' } } },
  { name: 'allow delete of unrelated object', resource: configMaps, operation: 'DELETE', namespace: 'myns', objectName: 'mycm' },
  pod('allow unrelated user creating a normal pod unbound', 'CREATE', { objectName: 'unboundpod', object: unboundpod, user: bob }),
  pod('allow unrelated user delete of normal pod unbound', 'DELETE', { objectName: 'unboundpod', user: bob }),
  pod('forbid a node user without a name', 'DELETE', { objectName: 'mypod', user: { username: 'system:node:', groups: ['system:nodes'] }, error: 'pods "mypod" is forbidden: could not determine node from user "system:node:"' }),
];

describe('NodeRestriction', () => {
  for (const c of cases) it(c.name, () => run(c));
});

describe('NodeRestriction: a mirror pod’s owner reference', () => {
  const ownerCases: [string, OwnerReference[], string | undefined, KubeObject[]?][] = [
    ['no owner', [], 'pods "test" is forbidden: node "mynode" can only create pods with an owner reference set to itself'],
    ['valid owner', [owner('mynode')], undefined],
    ['duplicate owner', [owner('mynode'), owner('mynode')], 'can only create pods with a single owner reference set to itself'],
    ['invalid name', [owner('other')], 'can only create pods with an owner reference set to itself'],
    ['invalid UID', [owner('mynode')], 'node mynode UID mismatch: expected mynode-uid got mynode-unexpected-uid', [{ metadata: { name: 'mynode', uid: 'mynode-unexpected-uid' } }]],
    ['node not found', [owner('mynode')], 'node "mynode" not found', []],
    ['invalid API version', [{ ...owner('mynode'), apiVersion: 'v2' }], 'can only create pods with an owner reference set to itself'],
    ['invalid kind', [{ ...owner('mynode'), kind: 'Pod' }], 'can only create pods with an owner reference set to itself'],
    ['nil controller', [{ ...owner('mynode'), controller: undefined }], 'can only create pods with a controller owner reference set to itself'],
    ['false controller', [{ ...owner('mynode'), controller: false }], 'can only create pods with a controller owner reference set to itself'],
    ['invalid blockOwnerDeletion', [{ ...owner('mynode'), blockOwnerDeletion: true }], 'must not set blockOwnerDeletion on an owner reference'],
  ];
  for (const [name, owners, error, knownNodes] of ownerCases) {
    const object = makePod('test', 'mynode', true);
    object.metadata.ownerReferences = owners;
    it(name, () => run({ name, resource: pods, operation: 'CREATE', namespace: 'ns', objectName: 'test', object, error, code: name === 'node not found' ? 404 : 403, nodes: knownNodes }));
  }
});
