/**
 * Custom resources among the controllers that act on every kind, which find
 * them through discovery: the garbage collector (ownerReferences to and from
 * custom resources cascade) and namespace deletion (a namespace's custom
 * resources go with it); and a CRD's own deletion, which deletes its objects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../src/client/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { isStatusError } from '../../src/machinery/status.js';
import { resources, startControllerTestCluster, eventually, type ControllerTestCluster } from './harness.js';

const definitions = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
const widgets = { group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true };
const configMaps = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };

const widgetDefinition = {
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', kind: 'Widget' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } }],
  },
};

describe('custom resources and the controllers that act on every kind', () => {
  let cluster: ControllerTestCluster;
  let client: Client;
  before(async () => {
    cluster = await startControllerTestCluster({ playNode: false });
    client = cluster.client;
    await client.resource(definitions).create(widgetDefinition as KubeObject);
    await eventually(() => client.resource(widgets).list('default').then(() => true, () => false), (served) => served, 'widgets to be served');
  });
  after(async () => {
    await cluster?.close();
  });

  const exists = (ref: { group: string; version: string; resource: string; kind: string; namespaced: boolean }, namespace: string, name: string) => client.resource(ref).find(namespace, name).then((object) => object !== undefined);

  it('a ConfigMap owned by a Widget goes when the Widget goes', async () => {
    await cluster.createNamespace('gc-owner');
    const widget = await client.resource(widgets).create({ metadata: { name: 'w', namespace: 'gc-owner' }, spec: { size: 1 } } as KubeObject);
    await client.resource(configMaps).create({
      metadata: { name: 'owned', namespace: 'gc-owner', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: widget.metadata.uid! }] },
    });
    await client.resource(widgets).delete('gc-owner', 'w');
    await eventually(() => exists(configMaps, 'gc-owner', 'owned'), (present) => !present, 'the owned ConfigMap to be collected');
  });

  it('a Widget owned by a ConfigMap goes when the ConfigMap goes, also in the foreground', async () => {
    await cluster.createNamespace('gc-dependent');
    const owner = await client.resource(configMaps).create({ metadata: { name: 'owner', namespace: 'gc-dependent' } });
    await client.resource(widgets).create({
      metadata: { name: 'dependent', namespace: 'gc-dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, blockOwnerDeletion: true }] },
    } as KubeObject);
    await client.resource(configMaps).delete('gc-dependent', 'owner', { propagationPolicy: 'Foreground' });
    await eventually(() => exists(widgets, 'gc-dependent', 'dependent'), (present) => !present, 'the dependent Widget to be collected');
    await eventually(() => exists(configMaps, 'gc-dependent', 'owner'), (present) => !present, 'the owner to finish its foreground deletion');
  });

  it("deleting a namespace deletes its custom resources", async () => {
    await cluster.createNamespace('doomed');
    await client.resource(widgets).create({ metadata: { name: 'a', namespace: 'doomed' } } as KubeObject);
    await client.resource(resources.namespaces).delete(undefined, 'doomed');
    await eventually(() => exists(resources.namespaces, '', 'doomed'), (present) => !present, 'the namespace to be gone');
    assert.equal(await exists(widgets, 'doomed', 'a'), false);
  });

  it('a ResourceQuota counts custom resources (count/<plural>.<group>)', async () => {
    await cluster.createNamespace('quota');
    const quotas = { group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', namespaced: true };
    await client.resource(widgets).create({ metadata: { name: 'one', namespace: 'quota' } } as KubeObject);
    await client.resource(quotas).create({ metadata: { name: 'widgets', namespace: 'quota' }, spec: { hard: { 'count/widgets.example.com': '5' } } } as KubeObject);
    const counted = await eventually(() => client.resource(quotas).get('quota', 'widgets'), (q) => (q as { status?: { used?: Record<string, string> } }).status?.used?.['count/widgets.example.com'] === '1', 'the quota to count one widget');
    assert.deepEqual((counted as { status?: unknown }).status, { hard: { 'count/widgets.example.com': '5' }, used: { 'count/widgets.example.com': '1' } });
  });

  it('a CRD created after the controllers started is collected through too, and its deletion deletes its objects', async () => {
    const gadgets = { group: 'example.com', version: 'v1', resource: 'gadgets', kind: 'Gadget', namespaced: true };
    const definition = structuredClone(widgetDefinition);
    definition.metadata.name = 'gadgets.example.com';
    definition.spec.names = { plural: 'gadgets', kind: 'Gadget' };
    await client.resource(definitions).create(definition as KubeObject);
    await eventually(() => client.resource(gadgets).list('default').then(() => true, () => false), (served) => served, 'gadgets to be served');
    const gadget = await client.resource(gadgets).create({ metadata: { name: 'g', namespace: 'default' } } as KubeObject);
    await client.resource(configMaps).create({
      metadata: { name: 'gadget-part', namespace: 'default', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Gadget', name: 'g', uid: gadget.metadata.uid! }] },
    });
    // A watch open on the kind ends when the kind is no longer served.
    const watch = client.resource(gadgets).watch('default', {}, () => {});
    const watchEnded = watch.done.then(() => 'ended', (err) => (isStatusError(err, 'NotFound') ? 'not found' : String(err)));
    await client.resource(definitions).delete(undefined, 'gadgets.example.com');
    await eventually(() => client.resource(definitions).find(undefined, 'gadgets.example.com'), (crd) => crd === undefined, 'the CRD to be gone');
    // Its object went first, and the collector followed the ownerReference to it.
    await eventually(() => exists(configMaps, 'default', 'gadget-part'), (present) => !present, 'the Gadget-owned ConfigMap to be collected');
    await assert.rejects(client.resource(gadgets).list('default'), (err) => isStatusError(err, 'NotFound'));
    const deadline = new Promise((resolve) => setTimeout(() => resolve('still open after 10 s'), 10_000).unref());
    assert.equal(await Promise.race([watchEnded, deadline]), 'not found');
  });
});

