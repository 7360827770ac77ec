/**
 * The node IPAM controller against a real apiserver: nodes registered
 * without spec.podCIDR get distinct ranges of the cluster range, a node
 * that brings its own keeps it, a deleted node's range is given again, and
 * a restarted controller (a new term) reads the ranges from the Nodes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client } from '../../src/client/index.js';
import { controllerManager } from '../../src/controllers/index.js';
import { eventually, resources } from './harness.js';

import type { KubeObject } from '../../src/machinery/object.js';

interface Node extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
}

let api: TestServer;
let client: Client;
let stopManager: AbortController;

async function startManager(): Promise<void> {
  stopManager = new AbortController();
  const manager = controllerManager(client, { controllers: ['nodeipam'], nodeIPAM: { clusterCIDR: '10.42.0.0/16', nodeCIDRMaskSize: 24 } });
  void manager.run(stopManager.signal);
  await manager.waitForSync();
}

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
});
after(async () => {
  stopManager.abort();
  client.close();
  await api.close();
});

const nodes = () => client.resource<Node>(resources.nodes);
const rangeOf = (name: string) => eventually(() => nodes().get(undefined, name), (n) => Boolean(n.spec?.podCIDR), `a podCIDR for ${name}`).then((n) => n.spec!.podCIDR!);

describe('node IPAM', () => {
  it('gives nodes registered without a range distinct ranges, keeps a node\'s own, and gives a deleted node\'s range again', async () => {
    // Two ranges exist before the controller starts: one in the cluster range (taken), one outside it (left alone).
    await nodes().create({ metadata: { name: 'own' }, spec: { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] } });
    await nodes().create({ metadata: { name: 'elsewhere' }, spec: { podCIDR: '10.61.0.0/24', podCIDRs: ['10.61.0.0/24'] } });
    await startManager();
    await Promise.all(['a', 'b', 'c'].map((name) => nodes().create({ metadata: { name } })));
    const given = await Promise.all(['a', 'b', 'c'].map(rangeOf));
    assert.deepEqual([...given].sort(), ['10.42.1.0/24', '10.42.2.0/24', '10.42.3.0/24']);
    const b = await nodes().get(undefined, 'b');
    assert.deepEqual(b.spec?.podCIDRs, [b.spec?.podCIDR]);
    assert.equal((await nodes().get(undefined, 'own')).spec?.podCIDR, '10.42.0.0/24');

    const freed = await rangeOf('b');
    await nodes().delete(undefined, 'b');
    await nodes().create({ metadata: { name: 'd' } });
    assert.equal(await rangeOf('d'), freed, 'the deleted node\'s range is the lowest free one');
  });

  it('a node waits while the cluster range is full, is told CIDRNotAvailable, and gets the range a deleted node frees', async () => {
    const small = await startTestServer();
    const smallClient = new Client(small.credentials);
    const stop = new AbortController();
    try {
      const manager = controllerManager(smallClient, { controllers: ['nodeipam'], nodeIPAM: { clusterCIDR: '10.50.0.0/23', nodeCIDRMaskSize: 24 } });
      void manager.run(stop.signal);
      await manager.waitForSync();
      const smallNodes = smallClient.resource<Node>(resources.nodes);
      const smallRange = (name: string) => eventually(() => smallNodes.get(undefined, name), (n) => Boolean(n.spec?.podCIDR), `a podCIDR for ${name}`).then((n) => n.spec!.podCIDR!);
      await smallNodes.create({ metadata: { name: 'one' } });
      await smallNodes.create({ metadata: { name: 'two' } });
      assert.deepEqual([await smallRange('one'), await smallRange('two')].sort(), ['10.50.0.0/24', '10.50.1.0/24']);
      await smallNodes.create({ metadata: { name: 'three' } });
      const events = smallClient.resource(resources.events);
      await eventually(() => events.list('default'), (list) => list.items.some((e) => (e as { reason?: string }).reason === 'CIDRNotAvailable'), 'a CIDRNotAvailable event');
      assert.equal((await smallNodes.get(undefined, 'three')).spec?.podCIDR, undefined);
      const freed = await smallRange('one');
      await smallNodes.delete(undefined, 'one');
      assert.equal(await smallRange('three'), freed);
    } finally {
      stop.abort();
      smallClient.close();
      await small.close();
    }
  });

  it('after a restart, reads the ranges in use from the Nodes', async () => {
    stopManager.abort();
    await startManager();
    await nodes().create({ metadata: { name: 'e' } });
    assert.equal(await rangeOf('e'), '10.42.4.0/24');
  });
});
