/**
 * The built-in controllers against a real in-process apiserver. No node
 * agent exists yet, so the test plays the node: it marks pods Running and
 * Ready (or leaves them Pending) by writing pod status, as a kubelet would.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { Client, SharedInformer } from '../../src/client/index.js';
import { controllerManager } from '../../src/controllers/index.js';
import type { Deployment, ReplicaSet } from '../../src/api/apps/index.js';
import type { Pod } from '../../src/controllers/util/pods.js';

const pods = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const replicaSets = { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true };
const deployments = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true };
const namespaces = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
const configMaps = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const serviceAccounts = { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true };

/** Polls a condition until it holds or the deadline passes (reporting what was last seen). */
async function eventually<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let api: TestServer;
let client: Client;
const stop = new AbortController();
/** Namespaces whose pods the fake node leaves Pending (not ready). */
const holdNotReady = new Set<string>();

/** Plays the node: every new pod becomes Running and Ready, unless its namespace is held. */
function playNode(signal: AbortSignal): void {
  const informer = new SharedInformer<Pod>(client.resource<Pod>(pods));
  const markReady = async (pod: Pod) => {
    if (holdNotReady.has(pod.metadata.namespace!) || pod.status?.phase === 'Running' || pod.metadata.deletionTimestamp) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await client
      .resource<Pod>(pods)
      .patch(pod.metadata.namespace, pod.metadata.name!, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, 'merge', { subresource: 'status' })
      .catch(() => {});
  };
  informer.addEventHandler({ add: (pod) => void markReady(pod), update: (_old, pod) => void markReady(pod) });
  informer.start(signal);
}

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  const manager = controllerManager(client);
  void manager.run(stop.signal);
  playNode(stop.signal);
  await manager.waitForSync();
});

after(async () => {
  stop.abort();
  client.close();
  await api.close();
});

async function createNamespace(name: string): Promise<void> {
  await client.resource(namespaces).create({ metadata: { name } });
}

function podsOf(namespace: string): Promise<Pod[]> {
  return client.resource<Pod>(pods).list(namespace).then((list) => list.items);
}

/** What `kubectl rollout status` waits for: the controller saw the latest spec and every pod is new and available. */
function rolledOut(d: Deployment, replicas: number): boolean {
  const status = d.status as (Deployment['status'] & { observedGeneration?: number }) | undefined;
  return status?.observedGeneration === d.metadata.generation && status?.updatedReplicas === replicas && status?.replicas === replicas && status?.availableReplicas === replicas;
}

function deployment(name: string, namespace: string, replicas: number, image: string, extra: Partial<NonNullable<Deployment['spec']>> = {}): Deployment {
  return {
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
      ...extra,
    },
  };
}

describe('ReplicaSet controller', () => {
  it('creates the pods, reports them ready, scales down, and adopts a matching orphan', async () => {
    await createNamespace('rs');
    // An orphan that matches the selector, made before the ReplicaSet.
    await client.resource<Pod>(pods).create({ metadata: { name: 'orphan', namespace: 'rs', labels: { app: 'db' } }, spec: { containers: [{ name: 'main', image: 'postgres' }] } });
    const rs = await client.resource<ReplicaSet>(replicaSets).create({
      metadata: { name: 'db', namespace: 'rs' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'main', image: 'postgres' }] } } },
    });
    const owned = await eventually(() => podsOf('rs'), (items) => items.length === 3 && items.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid), 'three owned pods');
    assert.ok(owned.some((p) => p.metadata.name === 'orphan'), 'the orphan was adopted instead of creating a third pod');
    await eventually(() => client.resource<ReplicaSet>(replicaSets).get('rs', 'db'), (r) => r.status?.readyReplicas === 3 && r.status?.availableReplicas === 3, 'status readyReplicas 3');
    await client.resource<ReplicaSet>(replicaSets).patch('rs', 'db', { spec: { replicas: 1 } });
    await eventually(() => podsOf('rs'), (items) => items.length === 1, 'one pod after scaling down');
  });
});

describe('Deployment controller', () => {
  it('rolls out a new template within maxSurge and maxUnavailable, and rolls back', async () => {
    await createNamespace('roll');
    const deploys = client.resource<Deployment>(deployments);
    await deploys.create(deployment('web', 'roll', 4, 'nginx:1', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
    await eventually(() => deploys.get('roll', 'web'), (d) => d.status?.availableReplicas === 4 && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1', 'the first rollout');

    // Watch every ReplicaSet size the rollout goes through.
    const sizes: number[] = [];
    const watcher = new SharedInformer<ReplicaSet>(client.resource<ReplicaSet>(replicaSets), { namespace: 'roll' });
    const total = () => watcher.store.list().reduce((sum, rs) => sum + (rs.spec?.replicas ?? 0), 0);
    watcher.addEventHandler({ update: () => sizes.push(total()), add: () => sizes.push(total()) });
    const watching = new AbortController();
    watcher.start(watching.signal);
    await watcher.waitForSync();

    await deploys.patch('roll', 'web', { spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:2' }] } } } }, 'strategic');
    const done = await eventually(
      () => deploys.get('roll', 'web'),
      (d) => rolledOut(d, 4) && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2',
      'the second rollout',
    );
    watching.abort();
    assert.ok(Math.max(...sizes) <= 5, `never more than replicas + maxSurge pods wanted: ${sizes.join(',')}`);
    const progressing = (done.status as { conditions?: { type: string; reason?: string }[] }).conditions?.find((c) => c.type === 'Progressing');
    assert.equal(progressing?.reason, 'NewReplicaSetAvailable');
    const sets = (await client.resource<ReplicaSet>(replicaSets).list('roll')).items;
    assert.equal(sets.length, 2);
    assert.deepEqual(sets.map((rs) => rs.spec?.replicas).sort(), [0, 4]);

    // Roll back as kubectl does: put the old template back; the old ReplicaSet becomes revision 3.
    const oldRS = sets.find((rs) => rs.spec?.replicas === 0)!;
    const template = structuredClone(oldRS.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    await deploys.patch('roll', 'web', [{ op: 'replace', path: '/spec/template', value: template }], 'json');
    await eventually(
      () => client.resource<ReplicaSet>(replicaSets).get('roll', oldRS.metadata.name!),
      (rs) => rs.spec?.replicas === 4 && rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3' && rs.metadata.annotations?.['deployment.kubernetes.io/revision-history'] === '1',
      'the old ReplicaSet back as revision 3',
    );
  });

  it('keeps only revisionHistoryLimit old ReplicaSets', async () => {
    await createNamespace('history');
    const deploys = client.resource<Deployment>(deployments);
    await deploys.create(deployment('app', 'history', 1, 'v1', { revisionHistoryLimit: 1 }));
    for (const image of ['v2', 'v3']) {
      await eventually(() => deploys.get('history', 'app'), (d) => rolledOut(d, 1), `rollout before ${image}`);
      await deploys.patch('history', 'app', { spec: { template: { spec: { containers: [{ name: 'main', image }] } } } }, 'strategic');
    }
    await eventually(() => client.resource<ReplicaSet>(replicaSets).list('history').then((l) => l.items.length), (n) => n === 2, 'one old ReplicaSet kept beside the new one');
  });

  it('Recreate stops every old pod before starting new ones', async () => {
    await createNamespace('recreate');
    const deploys = client.resource<Deployment>(deployments);
    await deploys.create(deployment('job', 'recreate', 2, 'v1', { strategy: { type: 'Recreate' } }));
    await eventually(() => deploys.get('recreate', 'job'), (d) => d.status?.availableReplicas === 2, 'the first version');
    await deploys.patch('recreate', 'job', { spec: { template: { spec: { containers: [{ name: 'main', image: 'v2' }] } } } }, 'strategic');
    const pods = await eventually(() => podsOf('recreate'), (items) => items.length === 2 && items.every((p) => (p.spec as { containers: { image: string }[] }).containers[0].image === 'v2'), 'two new pods');
    assert.equal(pods.length, 2);
  });

  it('reports a rollout that makes no progress', async () => {
    await createNamespace('stuck');
    holdNotReady.add('stuck');
    const deploys = client.resource<Deployment>(deployments);
    await deploys.create(deployment('slow', 'stuck', 1, 'v1', { progressDeadlineSeconds: 1 }));
    const d = await eventually(
      () => deploys.get('stuck', 'slow'),
      (dep) => (dep.status as { conditions?: { type: string; reason?: string }[] })?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') ?? false,
      'ProgressDeadlineExceeded',
    );
    assert.equal((d.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Available')?.status, 'False');
  });
});

describe('garbage collector', () => {
  it('deletes dependents in the background, keeps them when orphaning, and waits for them in the foreground', async () => {
    await createNamespace('gc');
    const sets = client.resource<ReplicaSet>(replicaSets);
    const make = (name: string) =>
      sets.create({
        metadata: { name, namespace: 'gc' },
        spec: { replicas: 2, selector: { matchLabels: { set: name } }, template: { metadata: { labels: { set: name } }, spec: { containers: [{ name: 'main', image: 'x' }] } } },
      });
    const podsOfSet = (name: string) => podsOf('gc').then((items) => items.filter((p) => p.metadata.labels?.set === name));
    for (const name of ['background', 'orphan', 'foreground']) await make(name);
    for (const name of ['background', 'orphan', 'foreground']) await eventually(() => podsOfSet(name), (items) => items.length === 2, `pods of ${name}`);

    await sets.delete('gc', 'background', { propagationPolicy: 'Background' });
    await eventually(() => podsOfSet('background'), (items) => items.length === 0, 'background dependents deleted');

    await sets.delete('gc', 'orphan', { propagationPolicy: 'Orphan' });
    await eventually(() => sets.find('gc', 'orphan'), (rs) => rs === undefined, 'the orphaning owner gone');
    const orphans = await podsOfSet('orphan');
    assert.equal(orphans.length, 2);
    assert.ok(orphans.every((p) => !p.metadata.ownerReferences?.length), 'orphans have no owner references');

    await sets.delete('gc', 'foreground', { propagationPolicy: 'Foreground' });
    const waiting = await sets.find('gc', 'foreground');
    assert.ok(waiting === undefined || waiting.metadata.finalizers?.includes('foregroundDeletion'));
    await eventually(() => sets.find('gc', 'foreground'), (rs) => rs === undefined, 'the foreground owner gone after its dependents');
    assert.equal((await podsOfSet('foreground')).length, 0);
  });
});

describe('namespace and service account controllers', () => {
  it('gives a namespace its default ServiceAccount and root CA, and empties it when deleted', async () => {
    await createNamespace('temp');
    await eventually(() => client.resource(serviceAccounts).find('temp', 'default'), (sa) => sa !== undefined, 'the default ServiceAccount');
    await eventually(() => client.resource(configMaps).find('temp', 'kube-root-ca.crt'), (cm) => cm !== undefined, 'kube-root-ca.crt');
    await client.resource(configMaps).create({ metadata: { name: 'content', namespace: 'temp' } } as KubeObject);
    await client.resource(namespaces).delete(undefined, 'temp');
    await eventually(() => client.resource(namespaces).find(undefined, 'temp'), (ns) => ns === undefined, 'the namespace gone');
  });
});

describe('ClusterRole aggregation', () => {
  it('an aggregating role holds the rules of the roles its selector matches, and follows them', async () => {
    const clusterRoles = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole', namespaced: false };
    const roles = client.resource<KubeObject & { rules?: unknown[] }>(clusterRoles);
    await roles.create({ metadata: { name: 'monitoring' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-monitoring': 'true' } }] }, rules: [] } as KubeObject);
    await roles.create({ metadata: { name: 'monitoring-pods', labels: { 'example.com/aggregate-to-monitoring': 'true' } }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] } as KubeObject);
    await eventually(() => roles.get(undefined, 'monitoring'), (r) => JSON.stringify(r.rules) === '[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]', 'the aggregated rule');
    await roles.delete(undefined, 'monitoring-pods');
    await eventually(() => roles.get(undefined, 'monitoring'), (r) => (r.rules ?? []).length === 0, 'the rule gone with its role');
  });
});
