/**
 * The scheduler against a real in-process apiserver, with plain Node
 * objects (no node agent needed): pods are bound through `pods/binding`,
 * or marked unschedulable with upstream's words and retried when a cluster
 * event could help.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client, type ResourceClient } from '../../src/client/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { schedulerManager, Status, type Handle, type SchedulerConfiguration } from '../../src/scheduler/index.js';
import type { Node, Pod } from '../../src/scheduler/types.js';
import { eventually, resources } from './harness.js';

let api: TestServer;
let client: Client;
let pods: ResourceClient<Pod>;
let nodes: ResourceClient<Node>;
const stop = new AbortController();

const config: SchedulerConfiguration = {
  kind: 'KubeSchedulerConfiguration',
  apiVersion: 'kubescheduler.config.k8s.io/v1',
  profiles: [
    { schedulerName: 'default-scheduler' },
    {
      schedulerName: 'bin-packer',
      pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } }],
    },
    { schedulerName: 'with-permit', plugins: { permit: { enabled: [{ name: 'Gatekeeper' }] } } },
  ],
};

/** An out-of-tree Permit plugin: pods labelled gate=closed wait until the test lets them go. */
let gatekeeperHandle: Handle | undefined;
const registry = {
  Gatekeeper: (_args: unknown, handle: Handle) => {
    gatekeeperHandle = handle;
    return { name: 'Gatekeeper', permit: (_state: unknown, pod: Pod) => (pod.metadata.labels?.gate === 'closed' ? { status: new Status('Wait'), timeoutMs: 30_000 } : undefined) };
  },
};

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  pods = client.resource<Pod>(resources.pods);
  nodes = client.resource<Node>(resources.nodes);
  const manager = schedulerManager(client, { config, random: () => 0.5, registry });
  void manager.run(stop.signal);
  await manager.waitForSync();
});

after(async () => {
  stop.abort();
  client.close();
  await api.close();
});

async function node(name: string, cpu: string, extra: { labels?: Record<string, string>; taints?: object[]; unschedulable?: boolean } = {}): Promise<void> {
  await nodes.create({
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
    spec: { taints: extra.taints as never, unschedulable: extra.unschedulable },
  });
  await nodes.patch(undefined, name, { status: { allocatable: { cpu, memory: '8Gi', pods: '110' }, capacity: { cpu, memory: '8Gi', pods: '110' } } }, 'merge', { subresource: 'status' });
}

async function namespace(name: string): Promise<void> {
  await client.resource(resources.namespaces).create({ metadata: { name } } as KubeObject);
}

function pod(name: string, ns: string, spec: Partial<NonNullable<Pod['spec']>> = {}, cpu?: string): Pod {
  return {
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'main', image: 'nginx', resources: cpu ? { requests: { cpu } } : undefined }], ...spec },
  };
}

const boundNode = (ns: string, name: string) => eventually(() => pods.get(ns, name), (p) => Boolean(p.spec?.nodeName), `${name} bound`).then((p) => p.spec!.nodeName!);

const scheduledCondition = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'PodScheduled');

describe('scheduler', () => {
  it('binds pods where their requests fit, and says why when none fits, retrying when a node arrives', async () => {
    await namespace('fit');
    await node('small', '1');
    await node('big', '4');
    await pods.create(pod('needs-two', 'fit', {}, '2'));
    assert.equal(await boundNode('fit', 'needs-two'), 'big');
    const bound = await pods.get('fit', 'needs-two');
    assert.equal(scheduledCondition(bound)?.status, 'True');
    const events = await client.resource(resources.events).list('fit');
    assert.ok(
      (events.items as (KubeObject & { reason?: string; message?: string })[]).some((e) => e.reason === 'Scheduled' && e.message === 'Successfully assigned fit/needs-two to big'),
      'a Scheduled event',
    );

    await pods.create(pod('too-big', 'fit', {}, '8'));
    const pending = await eventually(() => pods.get('fit', 'too-big'), (p) => scheduledCondition(p)?.status === 'False', 'PodScheduled=False');
    assert.equal(scheduledCondition(pending)?.reason, 'Unschedulable');
    // Every pod has priority 0: preemption finds nothing to evict either.
    assert.equal(
      scheduledCondition(pending)?.message,
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );

    await node('huge', '16');
    assert.equal(await boundNode('fit', 'too-big'), 'huge');
  });

  it('honours taints, node selectors, required and preferred node affinity, cordons and host ports', async () => {
    await namespace('placement');
    await node('gpu-1', '8', { labels: { accelerator: 'gpu', zone: 'a' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await node('zone-b', '8', { labels: { zone: 'b' } });
    await node('cordoned', '8', { labels: { zone: 'c' }, unschedulable: true });

    await pods.create(pod('gpu-job', 'placement', { nodeSelector: { accelerator: 'gpu' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }));
    assert.equal(await boundNode('placement', 'gpu-job'), 'gpu-1');

    await pods.create(pod('gpu-no-toleration', 'placement', { nodeSelector: { accelerator: 'gpu' } }));
    const refused = await eventually(() => pods.get('placement', 'gpu-no-toleration'), (p) => scheduledCondition(p)?.status === 'False', 'refused');
    const message = scheduledCondition(refused)!.message!;
    assert.match(message, /^0\/\d+ nodes are available: /);
    assert.match(message, /1 node\(s\) had untolerated taint \{dedicated: gpu\}/);
    assert.match(message, /1 node\(s\) were unschedulable/);
    assert.match(message, /node\(s\) didn't match Pod's node affinity\/selector/);

    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b', 'c'] }] }] },
      },
    };
    await pods.create(pod('zone-bc', 'placement', { affinity }));
    assert.equal(await boundNode('placement', 'zone-bc'), 'zone-b', 'the cordoned zone-c node is out');

    const preferred = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } }] } };
    await pods.create(pod('likes-b', 'placement', { affinity: preferred }));
    assert.equal(await boundNode('placement', 'likes-b'), 'zone-b');

    const withPort = (name: string) => pod(name, 'placement', { nodeSelector: { zone: 'b' }, containers: [{ name: 'main', image: 'nginx', ports: [{ containerPort: 80, hostPort: 8080 }] }] });
    await pods.create(withPort('port-1'));
    assert.equal(await boundNode('placement', 'port-1'), 'zone-b');
    await pods.create(withPort('port-2'));
    const clash = await eventually(() => pods.get('placement', 'port-2'), (p) => scheduledCondition(p)?.status === 'False', 'port clash');
    assert.match(scheduledCondition(clash)!.message!, /node\(s\) didn't have free ports for the requested pod ports/);
    // Freeing the port lets the second pod in.
    await pods.delete('placement', 'port-1', { gracePeriodSeconds: 0 });
    assert.equal(await boundNode('placement', 'port-2'), 'zone-b');
  });

  it('leaves gated pods and other schedulers\' pods alone; profiles choose their own scoring', async () => {
    await namespace('profiles');
    await pods.create(pod('gated', 'profiles', { schedulingGates: [{ name: 'example.com/wait' }] }));
    await pods.create(pod('not-mine', 'profiles', { schedulerName: 'someone-else' }));
    // Two pods for the bin-packer land on the same node; spread pods would not.
    for (const name of ['pack-1', 'pack-2']) await pods.create(pod(name, 'profiles', { schedulerName: 'bin-packer', nodeSelector: { zone: 'b' } }, '100m'));
    const [a, b] = [await boundNode('profiles', 'pack-1'), await boundNode('profiles', 'pack-2')];
    assert.equal(a, b);
    assert.equal((await pods.get('profiles', 'gated')).spec?.nodeName, undefined);
    assert.equal((await pods.get('profiles', 'not-mine')).spec?.nodeName, undefined);
    await pods.patch('profiles', 'gated', { spec: { schedulingGates: null } }, 'merge');
    await boundNode('profiles', 'gated');
    assert.equal((await pods.get('profiles', 'not-mine')).spec?.nodeName, undefined, 'still waiting for its own scheduler');
  });

  it('pod affinity, anti-affinity and topology spread place pods relative to others', async () => {
    await namespace('topology');
    for (const [name, zone] of [['t-1', 'east'], ['t-2', 'east'], ['t-3', 'west'], ['t-4', 'west']]) {
      await node(name, '8', { labels: { group: 'topology', 'topology.kubernetes.io/zone': zone } });
    }
    const onGroup = { nodeSelector: { group: 'topology' } };
    const labelled = (name: string, labels: Record<string, string>, spec: Partial<NonNullable<Pod['spec']>>) => ({ ...pod(name, 'topology', { ...onGroup, ...spec }), metadata: { name, namespace: 'topology', labels } });

    // Anti-affinity on the hostname: one per node, the fifth finds no room.
    const antiAffinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'solo' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    for (let i = 1; i <= 5; i++) await pods.create(labelled(`solo-${i}`, { app: 'solo' }, { affinity: antiAffinity }));
    const hosts = await Promise.all([1, 2, 3, 4].map((i) => boundNode('topology', `solo-${i}`)));
    assert.equal(new Set(hosts).size, 4, 'four pods on four nodes');
    const fifth = await eventually(() => pods.get('topology', 'solo-5'), (p) => scheduledCondition(p)?.status === 'False', 'the fifth refused');
    assert.match(scheduledCondition(fifth)!.message!, /4 node\(s\) didn't match pod anti-affinity rules/);

    // Affinity to a zone: follows the cache pod into its zone.
    await pods.create(labelled('cache', { app: 'cache' }, { nodeSelector: { group: 'topology', 'topology.kubernetes.io/zone': 'west' } }));
    await boundNode('topology', 'cache');
    const affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'topology.kubernetes.io/zone' }] } };
    await pods.create(labelled('near-cache', { app: 'client' }, { affinity }));
    assert.match(await boundNode('topology', 'near-cache'), /^t-[34]$/);

    // Spread over zones with maxSkew 1: four pods, two per zone.
    const spread = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }];
    for (let i = 1; i <= 4; i++) await pods.create(labelled(`spread-${i}`, { app: 'spread' }, { topologySpreadConstraints: spread }));
    const zones = await Promise.all([1, 2, 3, 4].map(async (i) => ((await boundNode('topology', `spread-${i}`)) <= 't-2' ? 'east' : 'west')));
    assert.deepEqual(zones.sort(), ['east', 'east', 'west', 'west']);
  });

  it('preempts lower-priority pods for a higher-priority one, and says so when it cannot', async () => {
    await namespace('preempt');
    const classes = client.resource({ group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', namespaced: false });
    await classes.create({ metadata: { name: 'high' }, value: 1000 } as KubeObject);
    await classes.create({ metadata: { name: 'polite' }, value: 1000, preemptionPolicy: 'Never' } as KubeObject);
    await node('pre-1', '2', { labels: { group: 'preempt' } });
    const onNode = { nodeSelector: { group: 'preempt' } };
    for (const name of ['low-1', 'low-2']) await pods.create(pod(name, 'preempt', onNode, '1'));
    await Promise.all(['low-1', 'low-2'].map((name) => boundNode('preempt', name)));
    assert.equal((await pods.get('preempt', 'low-1')).spec?.priority, 0, 'Priority admission: no class, priority 0');

    await pods.create(pod('polite', 'preempt', { ...onNode, priorityClassName: 'polite' }, '1'));
    const polite = await eventually(() => pods.get('preempt', 'polite'), (p) => scheduledCondition(p)?.status === 'False', 'polite refused');
    assert.equal(polite.spec?.priority, 1000);
    assert.match(scheduledCondition(polite)!.message!, /Insufficient cpu.*\. preemption: not eligible due to preemptionPolicy=Never\.$/);

    await pods.create(pod('urgent', 'preempt', { ...onNode, priorityClassName: 'high' }, '1'));
    const nominated = await eventually(() => pods.get('preempt', 'urgent'), (p) => p.status?.nominatedNodeName === 'pre-1', 'urgent nominated to pre-1');
    assert.equal(scheduledCondition(nominated)?.status, 'False');
    // One victim, marked and deleted; the node agent (played here) finishes the deletion.
    const victims = await eventually(() => pods.list('preempt').then((l) => l.items.filter((p) => p.metadata.deletionTimestamp)), (v) => v.length === 1, 'one victim');
    assert.match(victims[0].metadata.name!, /^low-/);
    assert.equal(victims[0].status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason, 'PreemptionByScheduler');
    await pods.delete('preempt', victims[0].metadata.name!, { gracePeriodSeconds: 0 });
    assert.equal(await boundNode('preempt', 'urgent'), 'pre-1');
    const events = (await client.resource(resources.events).list('preempt')).items as (KubeObject & { reason?: string; message?: string })[];
    assert.ok(events.some((e) => e.reason === 'Preempted' && /^Preempted by pod .* on node pre-1$/.test(e.message ?? '')));
  });

  it('binds WaitForFirstConsumer claims to a volume the node can reach, or marks them for provisioning', async () => {
    await namespace('volumes');
    const classes = client.resource({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', namespaced: false });
    await classes.create({ metadata: { name: 'local-static' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' } as KubeObject);
    await classes.create({ metadata: { name: 'local-path' }, provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' } as KubeObject);
    await classes.create({ metadata: { name: 'eager' }, provisioner: 'example.com/eager', volumeBindingMode: 'Immediate' } as KubeObject);
    await node('vol-1', '4', { labels: { group: 'volumes' } });
    await node('vol-2', '4', { labels: { group: 'volumes' } });
    await client.resource(resources.persistentVolumes).create({
      metadata: { name: 'pv-on-vol-1' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'local-static',
        local: { path: '/mnt/disk1' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['vol-1'] }] }] } },
      },
    } as KubeObject);
    const claims = client.resource<KubeObject & { spec?: { volumeName?: string }; status?: { phase?: string } }>(resources.persistentVolumeClaims);
    const claim = (name: string, storageClassName: string) =>
      claims.create({ metadata: { name, namespace: 'volumes' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: '500Mi' } } } } as KubeObject);
    const withClaim = (podName: string, claimName: string) => pod(podName, 'volumes', { nodeSelector: { group: 'volumes' }, volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] });

    await claim('static', 'local-static');
    await pods.create(withClaim('uses-static', 'static'));
    assert.equal(await boundNode('volumes', 'uses-static'), 'vol-1', 'where the volume is');
    const bound = await claims.get('volumes', 'static');
    assert.equal(bound.spec?.volumeName, 'pv-on-vol-1');
    assert.equal(bound.status?.phase, 'Bound');

    await claim('static-2', 'local-static');
    await pods.create(withClaim('no-volume-left', 'static-2'));
    const waiting = await eventually(() => pods.get('volumes', 'no-volume-left'), (p) => scheduledCondition(p)?.status === 'False', 'no volume left');
    assert.match(scheduledCondition(waiting)!.message!, /2 node\(s\) didn't find available persistent volumes to bind/);

    await claim('dynamic', 'local-path');
    await pods.create(withClaim('uses-dynamic', 'dynamic'));
    const node2 = await boundNode('volumes', 'uses-dynamic');
    assert.equal((await claims.get('volumes', 'dynamic')).metadata.annotations?.['volume.kubernetes.io/selected-node'], node2);

    await claim('eager', 'eager');
    await pods.create(withClaim('uses-eager', 'eager'));
    const eager = await eventually(() => pods.get('volumes', 'uses-eager'), (p) => scheduledCondition(p)?.status === 'False', 'immediate claim refused');
    assert.match(scheduledCondition(eager)!.message!, /pod has unbound immediate PersistentVolumeClaims/);
  });

  it('a Permit plugin can hold a pod until it allows it', async () => {
    await namespace('permit');
    await pods.create({ ...pod('held', 'permit', { schedulerName: 'with-permit' }), metadata: { name: 'held', namespace: 'permit', labels: { gate: 'closed' } } });
    await pods.create(pod('free', 'permit', { schedulerName: 'with-permit' }));
    await boundNode('permit', 'free');
    const held = await pods.get('permit', 'held');
    await eventually(() => gatekeeperHandle?.waitingPod(held.metadata.uid!), (w) => w !== undefined, 'held at Permit');
    assert.equal((await pods.get('permit', 'held')).spec?.nodeName, undefined, 'not bound while waiting');
    gatekeeperHandle!.waitingPod(held.metadata.uid!)!.allow('Gatekeeper');
    await boundNode('permit', 'held');
  });
});
