/**
 * The node lifecycle controller against a real apiserver, on a clock the
 * test moves: a node whose Lease stops being renewed becomes Unknown, is
 * tainted unreachable, and its pods are evicted as their tolerations run out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../src/controllers/nodelifecycle/controller.js';
import type { Pod } from '../../src/controllers/util/pods.js';
import { eventually, resources, rfc3339, startControllerTestCluster, type ControllerTestCluster } from './harness.js';

let cluster: ControllerTestCluster;
before(async () => {
  cluster = await startControllerTestCluster({ controllers: ['node-lifecycle'], playNode: false });
  await cluster.createNamespace('workloads');
});
after(() => cluster.close());

const nodes = () => cluster.client.resource<Node>(resources.nodes);
const pods = () => cluster.client.resource<Pod>(resources.pods);

/** Makes the controller look again (its requeues run on real time; the test moves the controller's clock). */
const nudge = (name: string) => nodes().patch(undefined, name, { metadata: { annotations: { nudge: String(Date.now()) } } });

describe('node lifecycle', () => {
  it('marks a silent node Unknown, taints it unreachable and evicts pods when their tolerations run out', async () => {
    const now = rfc3339(new Date());
    await nodes().create({ metadata: { name: 'worker' } });
    await nodes().patch(undefined, 'worker', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] } }, 'merge', { subresource: 'status' });
    await cluster.client.resource(resources.leases).create({ metadata: { name: 'worker', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'worker', renewTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') } });
    const container = [{ name: 'main', image: 'x' }];
    await pods().create({ metadata: { name: 'default-tolerations', namespace: 'workloads' }, spec: { nodeName: 'worker', containers: container } });
    await pods().create({
      metadata: { name: 'short-toleration', namespace: 'workloads' },
      spec: { nodeName: 'worker', containers: container, tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }] },
    });
    await pods().create({ metadata: { name: 'stays', namespace: 'workloads' }, spec: { nodeName: 'worker', containers: container, tolerations: [{ operator: 'Exists' }] } });
    for (const name of ['default-tolerations', 'short-toleration', 'stays']) {
      await pods().patch('workloads', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', { subresource: 'status' });
    }
    const admitted = await pods().get('workloads', 'default-tolerations');
    const tolerations = (admitted.spec as { tolerations?: { key?: string; tolerationSeconds?: number }[] }).tolerations ?? [];
    assert.deepEqual(tolerations.map((t) => [t.key, t.tolerationSeconds]), [['node.kubernetes.io/not-ready', 300], ['node.kubernetes.io/unreachable', 300]], 'DefaultTolerationSeconds at admission');

    // Within the grace period nothing happens.
    await nudge('worker');
    assert.equal((await nodes().get(undefined, 'worker')).spec?.taints, undefined);

    cluster.clock.advance(41_000);
    await nudge('worker');
    const unknown = await eventually(() => nodes().get(undefined, 'worker'), (n) => n.status?.conditions?.[0]?.status === 'Unknown', 'Ready Unknown');
    assert.equal(unknown.status?.conditions?.[0]?.message, 'Kubelet stopped posting node status.');
    const tainted = await eventually(() => nodes().get(undefined, 'worker'), (n) => (n.spec?.taints?.length ?? 0) === 2, 'unreachable taints');
    assert.deepEqual(tainted.spec!.taints!.map((t) => `${t.key}:${t.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    await eventually(() => pods().get('workloads', 'stays'), (p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False', 'pods marked not ready');

    const gone = (name: string) => pods().find('workloads', name).then((p) => p === undefined || p.metadata.deletionTimestamp !== undefined);
    cluster.clock.advance(11_000);
    await nudge('worker');
    await eventually(() => gone('short-toleration'), (g) => g, 'the 10 s pod evicted');
    assert.equal(await gone('default-tolerations'), false, 'the 300 s pod still there');

    cluster.clock.advance(300_000);
    await nudge('worker');
    await eventually(() => gone('default-tolerations'), (g) => g, 'the 300 s pod evicted');
    assert.equal(await gone('stays'), false, 'a pod tolerating everything forever stays');

    // The node comes back: Ready True again removes the taints.
    const back = rfc3339(cluster.clock.now());
    await nodes().patch(undefined, 'worker', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: back, lastTransitionTime: back }] } }, 'merge', { subresource: 'status' });
    await eventually(() => nodes().get(undefined, 'worker'), (n) => !n.spec?.taints?.length, 'taints removed');
  });

  it('taints an unschedulable node', async () => {
    await nodes().create({ metadata: { name: 'cordoned' }, spec: { unschedulable: true } });
    // (The clock moved on in the test before, so this silent node is also unreachable by now.)
    await eventually(
      () => nodes().get(undefined, 'cordoned'),
      (n) => (n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule'),
      'the unschedulable taint',
    );
  });
});
