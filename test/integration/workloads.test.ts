/**
 * StatefulSet and DaemonSet controllers against a real apiserver. The
 * stand-in node marks new pods Running and Ready (except in held
 * namespaces); nodes are plain Node objects the test creates.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet, StatefulSet } from '../../src/api/apps/index.js';
import { SharedInformer, type ResourceClient } from '../../src/client/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import type { Pod } from '../../src/controllers/util/pods.js';
import { nodeOfDaemonPod } from '../../src/controllers/daemonset/controller.js';
import { eventually, resources, startControllerTestCluster, type ControllerTestCluster } from './harness.js';

let cluster: ControllerTestCluster;
let statefulSets: ResourceClient<StatefulSet>;
let daemonSets: ResourceClient<DaemonSet>;

before(async () => {
  cluster = await startControllerTestCluster({ controllers: ['statefulset', 'daemonset', 'garbagecollector', 'pvc-protection'] });
  statefulSets = cluster.client.resource<StatefulSet>(resources.statefulSets);
  daemonSets = cluster.client.resource<DaemonSet>(resources.daemonSets);
});
after(() => cluster.close());

const livePods = async (namespace: string) => (await cluster.podsOf(namespace)).filter((p) => !p.metadata.deletionTimestamp);
const names = (pods: KubeObject[]) => pods.map((p) => p.metadata.name).sort();
const image = (pod: Pod) => (pod.spec as { containers: { image: string }[] }).containers[0].image;

function statefulSet(name: string, namespace: string, replicas: number, extra: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet {
  return {
    metadata: { name, namespace },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'db:1' }] } },
      ...extra,
    },
  };
}

describe('StatefulSet controller', () => {
  it('OrderedReady creates pods one by one with stable names and claims', async () => {
    await cluster.createNamespace('sts');
    cluster.holdNotReady.add('sts');
    const claimTemplate = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    await statefulSets.create(statefulSet('db', 'sts', 3, { volumeClaimTemplates: [claimTemplate] }));
    const [first] = await eventually(() => livePods('sts'), (p) => p.length === 1, 'db-0 alone');
    assert.equal(first.metadata.name, 'db-0');
    assert.equal((first.spec as { hostname?: string }).hostname, 'db-0');
    assert.equal((first.spec as { subdomain?: string }).subdomain, 'db');
    assert.equal(first.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'db-0');
    assert.equal(first.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
    const volumes = (first.spec as { volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] }).volumes;
    // (The ServiceAccount admission plugin adds the kube-api-access volume besides, as upstream.)
    assert.deepEqual(volumes?.filter((v) => !v.name.startsWith('kube-api-access-')), [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } }]);
    const claims = cluster.client.resource(resources.persistentVolumeClaims);
    assert.ok(await claims.find('sts', 'data-db-0'), 'the claim exists before the pod');

    // db-1 waits until db-0 is Running and Ready.
    assert.equal((await livePods('sts')).length, 1);
    cluster.holdNotReady.delete('sts');
    await cluster.client.resource<Pod>(resources.pods).patch('sts', 'db-0', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', { subresource: 'status' });
    await eventually(() => livePods('sts'), (p) => p.length === 3, 'all three pods');
    assert.deepEqual(names(await livePods('sts')), ['db-0', 'db-1', 'db-2']);
    const set = await eventually(() => statefulSets.get('sts', 'db'), (s) => s.status?.readyReplicas === 3, 'readyReplicas 3');
    const status = set.status as { currentRevision?: string; updateRevision?: string };
    assert.equal(status.currentRevision, status.updateRevision);
    const revisions = (await cluster.client.resource<ControllerRevision>(resources.controllerRevisions).list('sts')).items;
    assert.equal(revisions.length, 1);
    assert.equal(revisions[0].revision, 1);

    // Scale down: highest ordinal first; claims are kept (Retain).
    await statefulSets.patch('sts', 'db', { spec: { replicas: 1 } });
    await eventually(() => livePods('sts'), (p) => p.length === 1 && p[0].metadata.name === 'db-0', 'only db-0 left');
    assert.ok(await claims.find('sts', 'data-db-2'), 'claims survive scale-down');
  });

  it('RollingUpdate replaces pods from the highest ordinal down to the partition', async () => {
    await cluster.createNamespace('sts-roll');
    await statefulSets.create(statefulSet('web', 'sts-roll', 3, { podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    await eventually(() => statefulSets.get('sts-roll', 'web'), (s) => s.status?.readyReplicas === 3, 'three ready pods');
    // Watch how many pods are healthy through the update: maxUnavailable 1 means never fewer than 2.
    const watcher = new SharedInformer<Pod>(cluster.client.resource<Pod>(resources.pods), { namespace: 'sts-roll' });
    let fewestHealthy = 3;
    const countHealthy = () => {
      const healthy = watcher.store.list().filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      fewestHealthy = Math.min(fewestHealthy, healthy.length);
    };
    watcher.addEventHandler({ add: countHealthy, update: countHealthy, delete: countHealthy });
    const watching = new AbortController();
    watcher.start(watching.signal);
    await watcher.waitForSync();
    fewestHealthy = 3; // (the initial list arrives one pod at a time)
    await statefulSets.patch('sts-roll', 'web', { spec: { template: { spec: { containers: [{ name: 'main', image: 'db:2' }] } } } }, 'strategic');
    const pods = await eventually(
      () => livePods('sts-roll'),
      (p) => p.length === 3 && p.filter((pod) => image(pod) === 'db:2').length === 2 && p.every((pod) => pod.status?.phase === 'Running'),
      'web-1 and web-2 updated',
    );
    assert.equal(image(pods.find((p) => p.metadata.name === 'web-0')!), 'db:1', 'below the partition stays');
    const set = await eventually(() => statefulSets.get('sts-roll', 'web'), (s) => (s.status as { updatedReplicas?: number }).updatedReplicas === 2, 'updatedReplicas 2');
    const status = set.status as { currentRevision?: string; updateRevision?: string };
    assert.notEqual(status.currentRevision, status.updateRevision, 'the update is not complete below the partition');
    await statefulSets.patch('sts-roll', 'web', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }, 'strategic');
    await eventually(
      () => statefulSets.get('sts-roll', 'web'),
      (s) => {
        const st = s.status as { currentRevision?: string; updateRevision?: string; updatedReplicas?: number; readyReplicas?: number };
        return st.updatedReplicas === 3 && st.readyReplicas === 3 && st.currentRevision === st.updateRevision;
      },
      'the update complete',
    );
    watching.abort();
    assert.equal(fewestHealthy, 2, 'one pod at a time was replaced');
    const revisions = (await cluster.client.resource<ControllerRevision>(resources.controllerRevisions).list('sts-roll')).items;
    assert.deepEqual(revisions.map((r) => r.revision).sort(), [1, 2]);
  });
});

describe('DaemonSet controller', () => {
  const nodes = () => cluster.client.resource(resources.nodes);

  it('runs one pod per eligible node, following labels and taints', async () => {
    await cluster.createNamespace('ds');
    await nodes().create({ metadata: { name: 'node-a', labels: { disk: 'ssd' } } });
    await nodes().create({ metadata: { name: 'node-b', labels: { disk: 'ssd' } }, spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } });
    await nodes().create({ metadata: { name: 'node-c', labels: { disk: 'hdd' } } });
    await daemonSets.create({
      metadata: { name: 'agent', namespace: 'ds' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'main', image: 'agent:1' }] } },
      },
    });
    const first = await eventually(() => livePods('ds'), (p) => p.length === 1, 'a pod on node-a only (node-b is tainted, node-c is hdd)');
    assert.equal(nodeOfDaemonPod(first[0]), 'node-a');
    const tolerations = (first[0].spec as { tolerations?: { key?: string }[] }).tolerations ?? [];
    assert.ok(tolerations.some((t) => t.key === 'node.kubernetes.io/unreachable'), 'daemon pods tolerate node problems');

    // Tolerating the taint and relabelling node-c bring two more pods.
    await daemonSets.patch('ds', 'agent', { spec: { template: { spec: { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] } } } }, 'strategic');
    await nodes().patch(undefined, 'node-c', { metadata: { labels: { disk: 'ssd' } } });
    const all = await eventually(
      () => livePods('ds'),
      (p) => p.length === 3 && new Set(p.map(nodeOfDaemonPod)).size === 3 && p.every((pod) => pod.status?.phase === 'Running'),
      'a pod on each of the three nodes',
    );
    assert.ok(all.every((pod) => pod.metadata.labels?.['controller-revision-hash']));
    const ds = await eventually(
      () => daemonSets.get('ds', 'agent'),
      (d) => d.status?.desiredNumberScheduled === 3 && d.status?.numberReady === 3 && d.status?.updatedNumberScheduled === 3,
      'status: 3 desired, ready and updated',
    );
    assert.equal(ds.status?.numberAvailable, 3);

    // A node that stops matching loses its pod.
    await nodes().patch(undefined, 'node-c', { metadata: { labels: { disk: 'hdd' } } });
    await eventually(() => livePods('ds'), (p) => p.length === 2 && !p.some((pod) => nodeOfDaemonPod(pod) === 'node-c'), 'node-c pod removed');
  });

  it('rolls out a new template one node at a time', async () => {
    await cluster.createNamespace('ds-roll');
    await daemonSets.create({
      metadata: { name: 'logger', namespace: 'ds-roll' },
      spec: { selector: { matchLabels: { app: 'logger' } }, template: { metadata: { labels: { app: 'logger' } }, spec: { containers: [{ name: 'main', image: 'log:1' }] } } },
    });
    const expected = 2; // node-a and node-c; node-b's taint is not tolerated
    await eventually(() => daemonSets.get('ds-roll', 'logger'), (d) => d.status?.numberAvailable === expected, 'every node runs the logger');
    await daemonSets.patch('ds-roll', 'logger', { spec: { template: { spec: { containers: [{ name: 'main', image: 'log:2' }] } } } }, 'strategic');
    await eventually(
      () => livePods('ds-roll'),
      (p) => p.length === expected && p.every((pod) => image(pod) === 'log:2' && pod.status?.phase === 'Running'),
      'every pod replaced by log:2',
    );
    const revisions = (await cluster.client.resource<ControllerRevision>(resources.controllerRevisions).list('ds-roll')).items;
    assert.equal(revisions.length, 2);
  });

  it('maxSurge starts the new pod before the old one goes', async () => {
    await cluster.createNamespace('ds-surge');
    await daemonSets.create({
      metadata: { name: 'proxy', namespace: 'ds-surge' },
      spec: {
        selector: { matchLabels: { app: 'proxy' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: { metadata: { labels: { app: 'proxy' } }, spec: { containers: [{ name: 'main', image: 'proxy:1' }] } },
      },
    });
    await eventually(() => daemonSets.get('ds-surge', 'proxy'), (d) => d.status?.numberAvailable === 2, 'both eligible nodes run the proxy');
    const watcher = new SharedInformer<Pod>(cluster.client.resource<Pod>(resources.pods), { namespace: 'ds-surge' });
    let fewestHealthy = 2;
    let most = 2;
    const observe = () => {
      const live = watcher.store.list().filter((p) => !p.metadata.deletionTimestamp);
      most = Math.max(most, live.length);
      fewestHealthy = Math.min(fewestHealthy, live.filter((p) => p.status?.phase === 'Running').length);
    };
    watcher.addEventHandler({ add: observe, update: observe, delete: observe });
    const watching = new AbortController();
    watcher.start(watching.signal);
    await watcher.waitForSync();
    fewestHealthy = 2;
    await daemonSets.patch('ds-surge', 'proxy', { spec: { template: { spec: { containers: [{ name: 'main', image: 'proxy:2' }] } } } }, 'strategic');
    await eventually(() => livePods('ds-surge'), (p) => p.length === 2 && p.every((pod) => image(pod) === 'proxy:2' && pod.status?.phase === 'Running'), 'both pods on proxy:2');
    watching.abort();
    assert.equal(fewestHealthy, 2, 'no node was ever without a running proxy');
    assert.equal(most, 3, 'one surge pod at a time');
  });
});

describe('StatefulSet OnDelete', () => {
  it('leaves old pods alone until they are deleted, then recreates them at the new revision', async () => {
    await cluster.createNamespace('sts-ondelete');
    await statefulSets.create(statefulSet('cache', 'sts-ondelete', 2, { podManagementPolicy: 'Parallel', updateStrategy: { type: 'OnDelete' } }));
    await eventually(() => statefulSets.get('sts-ondelete', 'cache'), (s) => s.status?.readyReplicas === 2, 'two ready pods');
    await statefulSets.patch('sts-ondelete', 'cache', { spec: { template: { spec: { containers: [{ name: 'main', image: 'db:2' }] } } } }, 'strategic');
    await eventually(() => statefulSets.get('sts-ondelete', 'cache'), (s) => s.status?.observedGeneration === 2, 'the new generation observed');
    assert.deepEqual((await livePods('sts-ondelete')).map(image), ['db:1', 'db:1'], 'nothing replaced on its own');
    await cluster.client.resource<Pod>(resources.pods).delete('sts-ondelete', 'cache-1');
    const pods = await eventually(() => livePods('sts-ondelete'), (p) => p.length === 2 && p.some((pod) => pod.metadata.name === 'cache-1' && image(pod) === 'db:2'), 'cache-1 recreated on db:2');
    assert.equal(image(pods.find((p) => p.metadata.name === 'cache-0')!), 'db:1');
    await eventually(() => statefulSets.get('sts-ondelete', 'cache'), (s) => (s.status as { updatedReplicas?: number }).updatedReplicas === 1, 'updatedReplicas 1');
  });
});

describe('StatefulSet volumeClaimTemplates (issue 11)', () => {
  type Volume = { name: string; persistentVolumeClaim?: { claimName: string } };
  const claimVolume = (pod: Pod) => ((pod.spec as { volumes?: Volume[] }).volumes ?? []).find((v) => v.name === 'data');
  const claimNames = async (namespace: string) => names((await cluster.client.resource(resources.persistentVolumeClaims).list(namespace)).items.filter((c) => !c.metadata.deletionTimestamp));

  it('a container mounts its claim; claims outlive pods and scale-down unless the policy says Delete', async () => {
    const namespace = 'sts-claims';
    await cluster.createNamespace(namespace);
    const claims = cluster.client.resource(resources.persistentVolumeClaims);
    const pods = cluster.client.resource<Pod>(resources.pods);
    const set = statefulSet('db', namespace, 2, {
      podManagementPolicy: 'Parallel',
      volumeClaimTemplates: [{ metadata: { name: 'data', labels: { tier: 'storage' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    });
    // The mount names the claim template, which is not among the template's volumes: the bug was a 422 here.
    (set.spec!.template!.spec!.containers![0] as { volumeMounts?: unknown }).volumeMounts = [{ name: 'data', mountPath: '/var/lib/db' }];
    await statefulSets.create(set);

    const running = await eventually(() => livePods(namespace), (p) => p.length === 2 && p.every((pod) => pod.status?.phase === 'Running'), 'db-0 and db-1 running');
    assert.deepEqual(await claimNames(namespace), ['data-db-0', 'data-db-1']);
    for (const pod of running) assert.deepEqual(claimVolume(pod), { name: 'data', persistentVolumeClaim: { claimName: `data-${pod.metadata.name}` } });
    const first = (await claims.get(namespace, 'data-db-0'))!;
    assert.deepEqual(first.metadata.labels, { tier: 'storage', app: 'db' }, 'template labels plus the selector labels');
    assert.equal(first.metadata.ownerReferences, undefined, 'Retain: no owner');

    // A deleted pod comes back with the same claim.
    const oldUid = running.find((p) => p.metadata.name === 'db-0')!.metadata.uid;
    await pods.delete(namespace, 'db-0');
    const back = await eventually(() => livePods(namespace), (p) => p.some((pod) => pod.metadata.name === 'db-0' && pod.metadata.uid !== oldUid), 'db-0 recreated');
    assert.deepEqual(claimVolume(back.find((p) => p.metadata.name === 'db-0')!), { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } });
    assert.equal((await claims.get(namespace, 'data-db-0'))!.metadata.uid, first.metadata.uid, 'the same claim, not a new one');

    // Scale down with whenScaled Retain (the default): the claim stays.
    await statefulSets.patch(namespace, 'db', { spec: { replicas: 1 } });
    await eventually(() => livePods(namespace), (p) => p.length === 1, 'db-1 removed');
    assert.deepEqual(await claimNames(namespace), ['data-db-0', 'data-db-1']);

    // Scaling up again reuses the kept claim.
    const kept = (await claims.get(namespace, 'data-db-1'))!.metadata.uid;
    await statefulSets.patch(namespace, 'db', { spec: { replicas: 2 } });
    await eventually(() => livePods(namespace), (p) => p.length === 2 && p.every((pod) => pod.status?.phase === 'Running'), 'db-1 back');
    assert.equal((await claims.get(namespace, 'data-db-1'))!.metadata.uid, kept);

    // whenScaled Delete: the removed ordinal's claim goes with its pod; db-0's stays.
    await statefulSets.patch(namespace, 'db', { spec: { replicas: 1, persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete' } } });
    await eventually(() => claimNames(namespace), (c) => c.length === 1, 'data-db-1 deleted');
    assert.deepEqual(await claimNames(namespace), ['data-db-0']);
    assert.deepEqual(names(await livePods(namespace)), ['db-0']);

    // Down and straight back up: the new db-1 must not start on the old claim the garbage collector is
    // about to delete (it belongs to the old db-1); it waits for it to go and gets a fresh one.
    await statefulSets.patch(namespace, 'db', { spec: { replicas: 2 } });
    await eventually(() => livePods(namespace), (p) => p.length === 2 && p.every((pod) => pod.status?.phase === 'Running'), 'db-1 back again');
    const previous = (await claims.get(namespace, 'data-db-1'))!.metadata.uid;
    await statefulSets.patch(namespace, 'db', { spec: { replicas: 1 } });
    await eventually(() => livePods(namespace), (p) => p.length === 1, 'db-1 removed again');
    await statefulSets.patch(namespace, 'db', { spec: { replicas: 2 } });
    await eventually(
      async () => ({ pods: await livePods(namespace), claim: await claims.find(namespace, 'data-db-1') }),
      ({ pods, claim }) => pods.length === 2 && pods.every((pod) => pod.status?.phase === 'Running') && claim !== undefined && claim.metadata.uid !== previous && !claim.metadata.deletionTimestamp,
      'db-1 running on a fresh claim',
    );
    assert.equal((await claims.get(namespace, 'data-db-1'))!.metadata.ownerReferences, undefined, 'in range: no pod owns it');
    await statefulSets.patch(namespace, 'db', { spec: { replicas: 1 } });
    await eventually(() => claimNames(namespace), (c) => c.length === 1, 'data-db-1 deleted again');

    // whenDeleted Delete: the set owns the claims, and they go with it.
    await statefulSets.patch(namespace, 'db', { spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } } });
    const owned = await eventually(() => claims.get(namespace, 'data-db-0'), (c) => Boolean(c?.metadata.ownerReferences?.length), 'data-db-0 owned by the set');
    const setUid = (await statefulSets.get(namespace, 'db'))!.metadata.uid;
    assert.deepEqual(owned!.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: setUid, controller: true, blockOwnerDeletion: true }]);
    await statefulSets.delete(namespace, 'db');
    await eventually(() => claimNames(namespace), (c) => c.length === 0, 'the claims deleted with the set');
  });
});
