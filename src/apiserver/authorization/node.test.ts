/**
 * The Node authorizer, table-tested after upstream's node_authorizer_test.go:
 * two nodes with pods that reference secrets, configmaps, claims, volumes,
 * service accounts and resource claims; attachments and slices by node.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestAttributes, UserIdentity } from '../../api/rbac/authorize.js';
import type { KubeObject } from '../../machinery/object.js';
import { authorizeNode, nodeIdentity, NodeGraphIndex, podConfigMapNames, podSecretNames, type NodeDecision } from './node.js';

const pod = (namespace: string, name: string, spec: Record<string, unknown>, extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { namespace, name, resourceVersion: '1', ...(extra.metadata ?? {}) },
  spec,
  ...(extra.status ? { status: extra.status } : {}),
});

const pods: KubeObject[] = [
  pod(
    'ns0',
    'pod0-node0',
    {
      nodeName: 'node0',
      serviceAccountName: 'svcacct0-node0',
      containers: [{ name: 'c' }],
      volumes: [
        { name: 's', secret: { secretName: 'secret0-pod0-node0' } },
        { name: 'shared', secret: { secretName: 'secret0-shared' } },
        { name: 'cm', configMap: { name: 'configmap0-pod0-node0' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'pvc0-pod0-node0' } },
      ],
      resourceClaims: [
        { name: 'direct', resourceClaimName: 'claim0-pod0-node0-ns0' },
        { name: 'templated', resourceClaimTemplateName: 'template0' },
        { name: 'pending', resourceClaimTemplateName: 'template1' },
      ],
    },
    { status: { resourceClaimStatuses: [{ name: 'templated', resourceClaimName: 'generated-claim-pod0-node0-ns0-0' }] } },
  ),
  pod('ns0', 'pod1-node0', {
    nodeName: 'node0',
    imagePullSecrets: [{ name: 'pull-secret' }],
    initContainers: [{ name: 'init', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'init-env-secret', key: 'k' } } }] }],
    containers: [{ name: 'c', envFrom: [{ secretRef: { name: 'envfrom-secret' } }, { configMapRef: { name: 'envfrom-configmap' } }] }],
    ephemeralContainers: [{ name: 'debug', env: [{ name: 'B', valueFrom: { configMapKeyRef: { name: 'ephemeral-configmap', key: 'k' } } }] }],
    volumes: [
      { name: 'projected', projected: { sources: [{ secret: { name: 'projected-secret' } }, { configMap: { name: 'projected-configmap' } }, { serviceAccountToken: { path: 'token' } }] } },
      { name: 'csi', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi-publish-secret' } } },
      { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
    ],
  }),
  pod('ns0', 'mirror-node0', { nodeName: 'node0', volumes: [{ name: 's', secret: { secretName: 'mirror-secret' } }] }, { metadata: { annotations: { 'kubernetes.io/config.mirror': 'hash' } } }),
  pod('ns0', 'pending', { volumes: [{ name: 's', secret: { secretName: 'pending-secret' } }] }),
  pod('ns0', 'pod0-node1', {
    nodeName: 'node1',
    serviceAccountName: 'svcacct0-node1',
    volumes: [
      { name: 's', secret: { secretName: 'secret0-pod0-node1' } },
      { name: 'cm', configMap: { name: 'configmap0-pod0-node1' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'pvc0-pod0-node1' } },
    ],
    resourceClaims: [{ name: 'direct', resourceClaimName: 'claim0-pod0-node1-ns0' }],
  }),
];

const claims: Record<string, KubeObject> = {
  'ns0/pvc0-pod0-node0': { metadata: { name: 'pvc0-pod0-node0', namespace: 'ns0' }, spec: { volumeName: 'pv0-pod0-node0-ns0' } },
  'ns0/pvc0-pod0-node1': { metadata: { name: 'pvc0-pod0-node1', namespace: 'ns0' }, spec: { volumeName: 'pv0-pod0-node1-ns0' } },
  'ns0/pod1-node0-scratch': { metadata: { name: 'pod1-node0-scratch', namespace: 'ns0' }, spec: { volumeName: 'pv-csi' } },
};
const volumes: Record<string, KubeObject> = {
  'pv0-pod0-node0-ns0': { metadata: { name: 'pv0-pod0-node0-ns0' }, spec: { claimRef: { namespace: 'ns0', name: 'pvc0-pod0-node0' }, azureFile: { secretName: 'secret-pv0-pod0-node0-ns0', shareName: 's' } } },
  'pv0-pod0-node1-ns0': { metadata: { name: 'pv0-pod0-node1-ns0' }, spec: { claimRef: { namespace: 'ns0', name: 'pvc0-pod0-node1' }, azureFile: { secretName: 'secret-pv0-pod0-node1-ns0', shareName: 's' } } },
  'pv-csi': {
    metadata: { name: 'pv-csi' },
    spec: {
      claimRef: { namespace: 'ns0', name: 'pod1-node0-scratch' },
      csi: { driver: 'd', volumeHandle: 'h', controllerPublishSecretRef: { namespace: 'ns0', name: 'controller-secret' }, nodeStageSecretRef: { namespace: 'storage', name: 'stage-secret' } },
    },
  },
};
const byNode = (name: string, nodeName: string): KubeObject => ({ metadata: { name }, spec: { nodeName } });
const attachments: Record<string, KubeObject> = { 'attachment0-node0': byNode('attachment0-node0', 'node0'), 'attachment0-node1': byNode('attachment0-node1', 'node1') };
const slices: Record<string, KubeObject> = { 'slice0-node0': byNode('slice0-node0', 'node0'), 'slice0-node1': byNode('slice0-node1', 'node1') };

const graph = new NodeGraphIndex({
  pods: () => pods,
  revision: () => 1,
  pvc: (namespace, name) => claims[`${namespace}/${name}`],
  pv: (name) => volumes[name],
  volumeAttachment: (name) => attachments[name],
  resourceSlice: (name) => slices[name],
});

const node0: UserIdentity = { name: 'system:node:node0', groups: ['system:nodes', 'system:authenticated'] };
const request = (verb: string, resource: string, rest: Partial<RequestAttributes> = {}): RequestAttributes => ({ verb, resource, resourceRequest: true, apiGroup: '', ...rest });
const allow: NodeDecision = { decision: 'allow', reason: '' };
const noOpinion: NodeDecision = { decision: 'no-opinion', reason: '' };
// Upstream's refusals are no opinion with a reason (RBAC may still grant).
const deny = (reason: string): NodeDecision => ({ decision: 'no-opinion', reason });
const unrelated = deny("no relationship found between node 'node0' and this object");

describe('nodeIdentity', () => {
  it('names the node only for system:node:<name> in system:nodes', () => {
    assert.equal(nodeIdentity(node0), 'node0');
    assert.equal(nodeIdentity({ name: 'system:node:node0', groups: ['system:authenticated'] }), undefined);
    assert.equal(nodeIdentity({ name: 'node0', groups: ['system:nodes'] }), undefined);
    assert.equal(nodeIdentity({ name: 'system:node:', groups: ['system:nodes'] }), '');
  });
});

describe('authorizeNode', () => {
  const cases: [string, RequestAttributes, NodeDecision][] = [
    // secrets and configmaps: get, and list/watch of one named object
    ['allowed configmap', request('get', 'configmaps', { name: 'configmap0-pod0-node0', namespace: 'ns0' }), allow],
    ['allowed secret via pod', request('get', 'secrets', { name: 'secret0-pod0-node0', namespace: 'ns0' }), allow],
    ['list allowed secret via pod', request('list', 'secrets', { name: 'secret0-pod0-node0', namespace: 'ns0' }), allow],
    ['watch allowed secret via pod', request('watch', 'secrets', { name: 'secret0-pod0-node0', namespace: 'ns0' }), allow],
    ['disallowed list many secrets', request('list', 'secrets', { namespace: 'ns0' }), deny('No Object name found')],
    ['disallowed watch many secrets', request('watch', 'secrets', { namespace: 'ns0' }), deny('No Object name found')],
    ['disallowed list secrets from all namespaces with name', request('list', 'secrets', { name: 'secret0-pod0-node0' }), deny('can only read namespaced object of this type')],
    ['disallowed secret update', request('update', 'secrets', { name: 'secret0-pod0-node0', namespace: 'ns0' }), deny('can only read resources of this type')],
    ['disallowed secret subresource', request('get', 'secrets', { name: 'secret0-pod0-node0', namespace: 'ns0', subresource: 'x' }), deny('cannot read subresource')],
    ['allowed shared secret via pod', request('get', 'secrets', { name: 'secret0-shared', namespace: 'ns0' }), allow],
    ['allowed shared secret via pvc', request('get', 'secrets', { name: 'secret-pv0-pod0-node0-ns0', namespace: 'ns0' }), allow],
    ['disallowed configmap', request('get', 'configmaps', { name: 'configmap0-pod0-node1', namespace: 'ns0' }), unrelated],
    ['disallowed secret via pod', request('get', 'secrets', { name: 'secret0-pod0-node1', namespace: 'ns0' }), unrelated],
    ['disallowed shared secret via pvc', request('get', 'secrets', { name: 'secret-pv0-pod0-node1-ns0', namespace: 'ns0' }), unrelated],
    ['disallowed secret of an unbound pod', request('get', 'secrets', { name: 'pending-secret', namespace: 'ns0' }), unrelated],
    ['disallowed secret of a mirror pod', request('get', 'secrets', { name: 'mirror-secret', namespace: 'ns0' }), unrelated],
    ['disallowed secret in another namespace', request('get', 'secrets', { name: 'secret0-pod0-node0', namespace: 'ns1' }), unrelated],
    // claims and volumes
    ['allowed pvc', request('get', 'persistentvolumeclaims', { name: 'pvc0-pod0-node0', namespace: 'ns0' }), allow],
    ['disallowed pvc', request('get', 'persistentvolumeclaims', { name: 'pvc0-pod0-node1', namespace: 'ns0' }), unrelated],
    ['disallowed pvc list', request('list', 'persistentvolumeclaims', { namespace: 'ns0' }), deny('can only get individual resources of this type')],
    ['allowed pvc status update', request('update', 'persistentvolumeclaims', { name: 'pvc0-pod0-node0', namespace: 'ns0', subresource: 'status' }), allow],
    ['disallowed pvc status update', request('patch', 'persistentvolumeclaims', { name: 'pvc0-pod0-node1', namespace: 'ns0', subresource: 'status' }), unrelated],
    ['disallowed pvc status get', request('get', 'persistentvolumeclaims', { name: 'pvc0-pod0-node0', namespace: 'ns0', subresource: 'status' }), deny('can only get/update/patch this type')],
    ['allowed pv', request('get', 'persistentvolumes', { name: 'pv0-pod0-node0-ns0' }), allow],
    ['disallowed pv', request('get', 'persistentvolumes', { name: 'pv0-pod0-node1-ns0' }), unrelated],
    ['disallowed pv subresource', request('get', 'persistentvolumes', { name: 'pv0-pod0-node0-ns0', subresource: 'status' }), deny('cannot get subresource')],
    ['allowed resource claim', request('get', 'resourceclaims', { apiGroup: 'resource.k8s.io', name: 'claim0-pod0-node0-ns0', namespace: 'ns0' }), allow],
    ['allowed resource claim with template', request('get', 'resourceclaims', { apiGroup: 'resource.k8s.io', name: 'generated-claim-pod0-node0-ns0-0', namespace: 'ns0' }), allow],
    ['disallowed resource claim, other node', request('get', 'resourceclaims', { apiGroup: 'resource.k8s.io', name: 'claim0-pod0-node1-ns0', namespace: 'ns0' }), unrelated],
    ['disallowed resource claim with template', request('get', 'resourceclaims', { apiGroup: 'resource.k8s.io', name: 'pod0-node0-pending', namespace: 'ns0' }), unrelated],
    ['allowed attachment', request('get', 'volumeattachments', { apiGroup: 'storage.k8s.io', name: 'attachment0-node0' }), allow],
    ['disallowed attachment', request('get', 'volumeattachments', { apiGroup: 'storage.k8s.io', name: 'attachment0-node1' }), unrelated],
    // service account tokens
    ['allowed svcacct token create', request('create', 'serviceaccounts', { subresource: 'token', name: 'svcacct0-node0', namespace: 'ns0' }), allow],
    ['disallowed svcacct token create - not attached to node', request('create', 'serviceaccounts', { subresource: 'token', name: 'svcacct0-node1', namespace: 'ns0' }), unrelated],
    ['disallowed svcacct token create - no subresource', request('create', 'serviceaccounts', { name: 'svcacct0-node0', namespace: 'ns0' }), deny('can only create token subresource of serviceaccount')],
    ['disallowed svcacct token create - non create', request('update', 'serviceaccounts', { subresource: 'token', name: 'svcacct0-node0', namespace: 'ns0' }), deny('can only create tokens for individual service accounts')],
    // leases
    ['disallowed get lease in another namespace', request('get', 'leases', { apiGroup: 'coordination.k8s.io', name: 'node0', namespace: 'foo' }), deny('can only access leases in the "kube-node-lease" system namespace')],
    ["disallowed update another node's lease", request('update', 'leases', { apiGroup: 'coordination.k8s.io', name: 'node1', namespace: 'kube-node-lease' }), deny('can only access node lease with the same name as the requesting node')],
    ['disallowed list node leases', request('list', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' }), deny('can only get, create, update, patch, or delete a node lease')],
    ['allowed patch node lease', request('patch', 'leases', { apiGroup: 'coordination.k8s.io', name: 'node0', namespace: 'kube-node-lease' }), allow],
    ['allowed create node lease (its name is admission’s to check)', request('create', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' }), allow],
    // CSINodes
    ['disallowed CSINode with subresource', request('get', 'csinodes', { apiGroup: 'storage.k8s.io', name: 'node0', subresource: 'csiDrivers' }), deny('cannot authorize CSINode subresources')],
    ["disallowed delete another node's CSINode", request('delete', 'csinodes', { apiGroup: 'storage.k8s.io', name: 'node1' }), deny('can only access CSINode with the same name as the requesting node')],
    ['disallowed watch CSINodes', request('watch', 'csinodes', { apiGroup: 'storage.k8s.io' }), deny('can only get, create, update, patch, or delete a CSINode')],
    ['allowed update CSINode', request('update', 'csinodes', { apiGroup: 'storage.k8s.io', name: 'node0' }), allow],
    // ResourceSlices
    ['disallowed ResourceSlice with subresource', request('get', 'resourceslices', { apiGroup: 'resource.k8s.io', name: 'slice0-node0', subresource: 'status' }), deny('cannot authorize ResourceSlice subresources')],
    ["disallowed patch another node's ResourceSlice", request('patch', 'resourceslices', { apiGroup: 'resource.k8s.io', name: 'slice0-node1' }), unrelated],
    ['allowed delete ResourceSlice', request('delete', 'resourceslices', { apiGroup: 'resource.k8s.io', name: 'slice0-node0' }), allow],
    ['allowed create ResourceSlice', request('create', 'resourceslices', { apiGroup: 'resource.k8s.io' }), allow],
    ['allowed unfiltered list ResourceSlices', request('list', 'resourceslices', { apiGroup: 'resource.k8s.io' }), allow],
    ['disallowed escalate ResourceSlice', request('escalate', 'resourceslices', { apiGroup: 'resource.k8s.io', name: 'slice0-node0' }), deny('only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection')],
    // left to RBAC and NodeRestriction
    ['pods', request('delete', 'pods', { name: 'pod0-node1', namespace: 'ns0' }), noOpinion],
    ['nodes', request('get', 'nodes', { name: 'node1' }), noOpinion],
    ['events', request('create', 'events', { namespace: 'ns0' }), noOpinion],
    ['secrets of another group', request('get', 'secrets', { apiGroup: 'example.com', name: 'x', namespace: 'ns0' }), noOpinion],
    ['a non-resource request', { verb: 'get', resourceRequest: false, path: '/healthz' }, noOpinion],
  ];
  for (const [name, attributes, expected] of cases) {
    it(name, () => assert.deepEqual(authorizeNode(attributes, node0, graph), expected));
  }

  it('reaches every reference upstream visits: pull secrets, env of init/ephemeral containers, projected, CSI, ephemeral claims and their volumes', () => {
    const get = (resource: string, name: string, namespace = 'ns0') => authorizeNode(request('get', resource, { name, namespace }), node0, graph).decision;
    for (const secret of ['pull-secret', 'init-env-secret', 'envfrom-secret', 'projected-secret', 'csi-publish-secret']) assert.equal(get('secrets', secret), 'allow', secret);
    for (const configMap of ['envfrom-configmap', 'ephemeral-configmap', 'projected-configmap']) assert.equal(get('configmaps', configMap), 'allow', configMap);
    assert.equal(get('persistentvolumeclaims', 'pod1-node0-scratch'), 'allow');
    assert.equal(get('persistentvolumes', 'pv-csi', ''), 'allow');
    // A CSI volume's node-side secrets, in their own namespace; not the controller's.
    assert.equal(get('secrets', 'stage-secret', 'storage'), 'allow');
    assert.equal(get('secrets', 'controller-secret'), 'no-opinion');
  });

  it('refuses users that are nodes it cannot tell apart, and nodes it knows nothing of; has no opinion on others', () => {
    const secret = request('get', 'secrets', { name: 'secret0-pod0-node0', namespace: 'ns0' });
    assert.deepEqual(authorizeNode(secret, { name: 'system:node:', groups: ['system:nodes'] }, graph), deny('unknown node for user "system:node:"'));
    assert.deepEqual(authorizeNode(secret, { name: 'system:node:node9', groups: ['system:nodes'] }, graph), deny("no relationship found between node 'node9' and this object"));
    assert.deepEqual(authorizeNode(secret, { name: 'alice', groups: ['system:authenticated'] }, graph), noOpinion);
  });
});

describe('NodeGraphIndex', () => {
  it('indexes the pods once per revision, and sees a pod bound after a change', () => {
    let revision = 1;
    let listed = 0;
    const live: KubeObject[] = [pod('ns0', 'a', { nodeName: 'n', volumes: [{ name: 's', secret: { secretName: 'one' } }] })];
    const index = new NodeGraphIndex({
      pods: () => {
        listed++;
        return live;
      },
      revision: () => revision,
    });
    assert.equal(index.hasPath('n', 'secret', 'ns0', 'one'), true);
    assert.equal(index.hasPath('n', 'secret', 'ns0', 'two'), false);
    assert.equal(listed, 1);
    live.push(pod('ns0', 'b', { nodeName: 'n', volumes: [{ name: 's', secret: { secretName: 'two' } }] }));
    assert.equal(index.hasPath('n', 'secret', 'ns0', 'two'), false, 'same revision: the index is not rebuilt');
    revision = 2;
    assert.equal(index.hasPath('n', 'secret', 'ns0', 'two'), true);
    assert.equal(index.hasPath('n', 'pod', 'ns0', 'b'), true);
    live.splice(0, 1);
    revision = 3;
    assert.equal(index.hasPath('n', 'secret', 'ns0', 'one'), false, 'a deleted pod grants nothing');
    assert.equal(listed, 3);
  });

  it('answers for thousands of pods without rebuilding per question', () => {
    const many = Array.from({ length: 5000 }, (_, i) => pod('ns', `p${i}`, { nodeName: `node${i % 100}`, volumes: [{ name: 's', secret: { secretName: `s${i}` } }] }));
    let listed = 0;
    const index = new NodeGraphIndex({ pods: () => (listed++, many), revision: () => 7 });
    for (let i = 0; i < 5000; i++) assert.equal(index.hasPath(`node${i % 100}`, 'secret', 'ns', `s${i}`), true);
    assert.equal(index.hasPath('node1', 'secret', 'ns', 's0'), false);
    assert.equal(listed, 1);
  });
});

describe('pod references', () => {
  it('lists the secrets and configmaps of every container kind and volume source', () => {
    assert.deepEqual(podSecretNames(pods[1]).sort(), ['csi-publish-secret', 'envfrom-secret', 'init-env-secret', 'projected-secret', 'pull-secret']);
    assert.deepEqual(podConfigMapNames(pods[1]).sort(), ['envfrom-configmap', 'ephemeral-configmap', 'projected-configmap']);
    const legacy = pod('ns', 'x', { volumes: [{ name: 'r', rbd: { secretRef: { name: 'rbd-secret' } } }, { name: 'a', azureFile: { secretName: 'azure-secret' } }] });
    assert.deepEqual(podSecretNames(legacy).sort(), ['azure-secret', 'rbd-secret']);
  });
});
