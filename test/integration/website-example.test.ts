/**
 * The operator example with its own kind (examples/website-operator.ts):
 * its CRD is installed and served, a Website becomes a ConfigMap kept in
 * step by server-side apply, its status says Ready, the CEL rule refuses a
 * bad Website, and deleting the Website deletes the ConfigMap.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { Manager } from '../../src/client/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { installWebsiteDefinition, websiteController, websites, type Website } from '../../examples/website-operator.js';
import { eventually, startControllerTestCluster, type ControllerTestCluster } from './harness.js';

const configMaps = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
let cluster: ControllerTestCluster;
const stop = new AbortController();

before(async () => {
  // The cluster's own controllers (CRD naming, garbage collector) run as in `skiff up`.
  cluster = await startControllerTestCluster({ playNode: false });
  await installWebsiteDefinition(cluster.client);
  // Running it twice is harmless: the operator applies its CRD server-side.
  await installWebsiteDefinition(cluster.client);
  const manager = new Manager(cluster.client).add(websiteController);
  void manager.run(stop.signal);
  await manager.waitForSync();
});
after(async () => {
  stop.abort();
  await cluster?.close();
});

it('renders a Website into a ConfigMap, reports Ready, follows changes, and goes with its Website', async () => {
  const sites = cluster.client.resource<Website>(websites);
  const pages = cluster.client.resource<KubeObject & { data?: Record<string, string> }>(configMaps);
  await sites.create({ metadata: { name: 'home', namespace: 'default' }, spec: { title: 'Welcome', pages: 2 } });
  const site = await eventually(() => pages.find('default', 'home-site'), (cm) => cm !== undefined, 'the ConfigMap');
  assert.deepEqual(Object.keys(site!.data!).sort(), ['index.html', 'page2.html']);
  const ready = await eventually(() => sites.get('default', 'home'), (w) => w.status?.conditions?.[0]?.status === 'True', 'a Ready Website');
  assert.equal(ready.status!.observedGeneration, 1);
  assert.equal(ready.status!.conditions![0].reason, 'SiteRendered');

  // One page fewer: the apply no longer names page2.html, and the apiserver removes it.
  await sites.patch('default', 'home', { spec: { pages: 1 } });
  await eventually(() => pages.find('default', 'home-site'), (cm) => cm?.data?.['page2.html'] === undefined, 'the page removed');
  await eventually(() => sites.get('default', 'home'), (w) => w.status?.observedGeneration === 2, 'the status of generation 2');

  // The CRD's CEL rule is the apiserver's: a bad Website never reaches the operator.
  await assert.rejects(sites.create({ metadata: { name: 'huge', namespace: 'default' }, spec: { title: 'Small', pages: 11 } }), /more than 10 pages only for titles starting with "Big"/);

  await sites.delete('default', 'home');
  await eventually(() => pages.find('default', 'home-site'), (cm) => cm === undefined, 'the ConfigMap collected with its Website');
});
