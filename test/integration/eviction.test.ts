/**
 * The Eviction API against a real apiserver with the disruption controller:
 * PodDisruptionBudgets block evictions they cannot afford (429), spend one
 * disruption per eviction atomically, let unready pods go by policy, and a
 * dry run — in the query or in the body's DeleteOptions — changes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/machinery/object.js';
import { isStatusError, type StatusError } from '../../src/machinery/status.js';
import { eventually, resources, startControllerTestCluster, type ControllerTestCluster } from './harness.js';

interface Budget extends KubeObject {
  status?: { disruptionsAllowed?: number; currentHealthy?: number; disruptedPods?: Record<string, string> };
}
interface Pod extends KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string }[] };
}

let cluster: ControllerTestCluster;
before(async () => {
  cluster = await startControllerTestCluster({ controllers: ['replicaset', 'disruption'] });
});
after(() => cluster.close());

const replicaSets = { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true };

/**
 * A namespace with a ReplicaSet of `replicas` ready pods and a PDB over them; resolves once the PDB counts them all.
 * The pods are bound to a node that this test does not run, so a deleted pod stays, terminating, to be looked at.
 */
async function appWithBudget(namespace: string, replicas: number, budgetSpec: Record<string, unknown>): Promise<Pod[]> {
  await cluster.createNamespace(namespace);
  await cluster.client.resource(replicaSets).create({
    metadata: { name: 'web', namespace },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { nodeName: 'node-a', containers: [{ name: 'main', image: 'x' }] } } },
  } as KubeObject);
  await cluster.client.resource<Budget>(resources.podDisruptionBudgets).create({
    metadata: { name: 'web', namespace },
    spec: { selector: { matchLabels: { app: 'web' } }, ...budgetSpec },
  } as KubeObject);
  await eventually(() => budget(namespace), (b) => b.status?.currentHealthy === replicas, `${replicas} healthy pods in ${namespace}`);
  return (await cluster.podsOf(namespace)) as Pod[];
}

function budget(namespace: string): Promise<Budget> {
  return cluster.client.resource<Budget>(resources.podDisruptionBudgets).get(namespace, 'web');
}

/** POSTs an Eviction without the client's retries (a 429 must reach the test). */
function evict(namespace: string, name: string, extra: { deleteOptions?: Record<string, unknown>; query?: Record<string, string> } = {}): Promise<unknown> {
  return cluster.client.rest.request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/eviction`, {
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, ...(extra.deleteOptions ? { deleteOptions: extra.deleteOptions } : {}) },
    query: extra.query,
    retries: 0,
  });
}

async function evictionError(promise: Promise<unknown>): Promise<StatusError> {
  try {
    await promise;
  } catch (err) {
    if (isStatusError(err)) return err;
    throw err;
  }
  assert.fail('the eviction was accepted');
}

function isBeingDeleted(pod: Pod | undefined): boolean {
  return pod === undefined || pod.metadata.deletionTimestamp !== undefined;
}

async function podNamed(namespace: string, name: string): Promise<Pod | undefined> {
  return (await cluster.podsOf(namespace)).find((p) => p.metadata.name === name) as Pod | undefined;
}

describe('pods/eviction and PodDisruptionBudgets', () => {
  it('answers 429 when the budget allows no disruption, and evicts nothing', async () => {
    const pods = await appWithBudget('evict-full', 3, { minAvailable: '100%' });
    assert.equal((await budget('evict-full')).status?.disruptionsAllowed, 0);
    const err = await evictionError(evict('evict-full', pods[0].metadata.name!));
    assert.equal(err.code, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.equal(err.status.details?.causes?.[0]?.reason, 'DisruptionBudget');
    assert.match(err.status.details?.causes?.[0]?.message ?? '', /needs 3 healthy pods and has 3 currently/);
    assert.equal(isBeingDeleted(await podNamed('evict-full', pods[0].metadata.name!)), false);
  });

  it('spends one disruption per eviction, atomically: of five racing evictions exactly one wins', async () => {
    const pods = await appWithBudget('evict-race', 3, { minAvailable: 2 });
    assert.equal((await budget('evict-race')).status?.disruptionsAllowed, 1);
    const outcomes = await Promise.allSettled(pods.concat(pods.slice(0, 2)).map((pod) => evict('evict-race', pod.metadata.name!)));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(won.length, 1, 'exactly one eviction is allowed');
    for (const failure of refused) assert.equal((failure.reason as StatusError).code, 429);
    const after = await budget('evict-race');
    assert.equal(after.status?.disruptionsAllowed, 0);
    const recorded = Object.keys(after.status?.disruptedPods ?? {});
    assert.equal(recorded.length, 1);
    const evicted = await podNamed('evict-race', recorded[0]);
    assert.ok(evicted?.metadata.deletionTimestamp, 'the evicted pod is being deleted');
    assert.equal(evicted?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason, 'EvictionByEvictionAPI');
  });

  it('a dry-run eviction (in deleteOptions or the query) checks the budget and changes nothing', async () => {
    const pods = await appWithBudget('evict-dry', 2, { minAvailable: 1 });
    const before = await budget('evict-dry');
    await evict('evict-dry', pods[0].metadata.name!, { deleteOptions: { dryRun: ['All'] } });
    await evict('evict-dry', pods[0].metadata.name!, { query: { dryRun: 'All' } });
    const pod = await podNamed('evict-dry', pods[0].metadata.name!);
    assert.equal(isBeingDeleted(pod), false);
    assert.equal(pod?.status?.conditions?.some((c) => c.type === 'DisruptionTarget'), false);
    const unchanged = await budget('evict-dry');
    assert.equal(unchanged.status?.disruptionsAllowed, 1);
    assert.equal(unchanged.metadata.resourceVersion, before.metadata.resourceVersion);
    const mismatch = await evictionError(evict('evict-dry', pods[0].metadata.name!, { deleteOptions: { dryRun: ['Nope'] } }));
    assert.equal(mismatch.code, 422);
  });

  it('an unready pod goes without spending the budget under AlwaysAllow, and is protected under IfHealthyBudget when the budget is short', async () => {
    const pods = await appWithBudget('evict-unready', 2, { minAvailable: 2, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    const [sick, healthy] = pods;
    await cluster.client.resource<Pod>(resources.pods).patch('evict-unready', sick.metadata.name!, { status: { conditions: [{ type: 'Ready', status: 'False' }] } }, 'strategic', { subresource: 'status' });
    await eventually(() => budget('evict-unready'), (b) => b.status?.currentHealthy === 1, 'one healthy pod');
    assert.equal((await evictionError(evict('evict-unready', healthy.metadata.name!))).code, 429);
    await evict('evict-unready', sick.metadata.name!);
    assert.ok(isBeingDeleted(await podNamed('evict-unready', sick.metadata.name!)));
    assert.deepEqual((await budget('evict-unready')).status?.disruptedPods ?? {}, {});
  });

  it('the disruption controller forgets a recorded eviction once the pod is going', async () => {
    const pods = await appWithBudget('evict-count', 3, { maxUnavailable: 2 });
    assert.equal((await budget('evict-count')).status?.disruptionsAllowed, 2);
    await evict('evict-count', pods[0].metadata.name!);
    assert.deepEqual(Object.keys((await budget('evict-count')).status?.disruptedPods ?? {}), [pods[0].metadata.name]);
    // The pod is terminating: the eviction happened, so the entry goes (which pods count as healthy
    // while an entry stands is the table test beside the controller).
    await eventually(() => budget('evict-count'), (b) => Object.keys(b.status?.disruptedPods ?? {}).length === 0, 'the entry dropped');
  });
});

describe('DeleteOptions in the body', () => {
  it('a dry-run delete whose dryRun is in the body deletes nothing (delete and deletecollection)', async () => {
    await cluster.createNamespace('dry-delete');
    const configMaps = cluster.client.resource(resources.configMaps);
    await configMaps.create({ metadata: { name: 'keep', namespace: 'dry-delete', labels: { a: 'b' } }, data: { k: 'v' } } as KubeObject);
    await cluster.client.rest.request('DELETE', '/api/v1/namespaces/dry-delete/configmaps/keep', { body: { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] } });
    await cluster.client.rest.request('DELETE', '/api/v1/namespaces/dry-delete/configmaps', { body: { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] } });
    assert.equal((await configMaps.get('dry-delete', 'keep')).metadata.name, 'keep');
    await assert.rejects(
      cluster.client.rest.request('DELETE', '/api/v1/namespaces/dry-delete/configmaps/keep', { body: { dryRun: ['Sometimes'] }, retries: 0 }),
      (err: unknown) => isStatusError(err, 'Invalid'),
    );
    assert.equal((await configMaps.get('dry-delete', 'keep')).metadata.name, 'keep');
  });
});
