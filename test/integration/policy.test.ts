/**
 * PodDisruptionBudget status and ResourceQuota usage against a real
 * apiserver, with the ReplicaSet controller making the pods and the stand-in
 * node marking them ready.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/machinery/object.js';
import { eventually, resources, startControllerTestCluster, type ControllerTestCluster } from './harness.js';

interface WithStatus extends KubeObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: { type: string; status: string; reason?: string }[] };
}

let cluster: ControllerTestCluster;
before(async () => {
  cluster = await startControllerTestCluster({ controllers: ['replicaset', 'disruption', 'resourcequota'] });
});
after(() => cluster.close());

const replicaSets = { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true };

async function replicaSet(namespace: string, name: string, replicas: number, resources?: Record<string, Record<string, string>>): Promise<void> {
  await cluster.client.resource(replicaSets).create({
    metadata: { name, namespace },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'x', resources }] } } },
  } as KubeObject);
}

describe('disruption controller', () => {
  it('reports healthy, desired and allowed disruptions for minAvailable and maxUnavailable', async () => {
    await cluster.createNamespace('pdb');
    await replicaSet('pdb', 'web', 3);
    const pdbs = cluster.client.resource<WithStatus>(resources.podDisruptionBudgets);
    await pdbs.create({ metadata: { name: 'min', namespace: 'pdb' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
    await pdbs.create({ metadata: { name: 'max', namespace: 'pdb' }, spec: { maxUnavailable: '50%', selector: { matchLabels: { app: 'web' } } } });
    const min = await eventually(() => pdbs.get('pdb', 'min'), (p) => p.status?.currentHealthy === 3, 'three healthy pods (min)');
    assert.equal(min.status?.desiredHealthy, 2);
    assert.equal(min.status?.disruptionsAllowed, 1);
    assert.equal(min.status?.expectedPods, 3);
    assert.equal(min.status?.conditions?.[0]?.reason, 'SufficientPods');
    const max = await eventually(() => pdbs.get('pdb', 'max'), (p) => p.status?.currentHealthy === 3, 'three healthy pods (max)');
    // 50% of 3, rounded up, may be unavailable: 2 must stay healthy.
    assert.equal(max.status?.desiredHealthy, 1);
    assert.equal(max.status?.disruptionsAllowed, 2);

    await pdbs.create({ metadata: { name: 'strict', namespace: 'pdb' }, spec: { minAvailable: 3, selector: { matchLabels: { app: 'web' } } } });
    const strict = await eventually(() => pdbs.get('pdb', 'strict'), (p) => p.status?.currentHealthy === 3, 'strict synced');
    assert.equal(strict.status?.disruptionsAllowed, 0);
    assert.deepEqual([strict.status?.conditions?.[0]?.status, strict.status?.conditions?.[0]?.reason], ['False', 'InsufficientPods']);
  });
});

describe('resource quota controller', () => {
  it('reports the namespace usage of each resource in the quota', async () => {
    await cluster.createNamespace('quota');
    const quotas = cluster.client.resource<WithStatus>(resources.resourceQuotas);
    await quotas.create({
      metadata: { name: 'compute', namespace: 'quota' },
      spec: { hard: { pods: '10', 'requests.cpu': '2', 'limits.memory': '2Gi', configmaps: '5', 'count/replicasets.apps': '3', services: '2' } },
    });
    await replicaSet('quota', 'api', 2, { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
    await cluster.client.resource(resources.configMaps).create({ metadata: { name: 'settings', namespace: 'quota' }, data: { a: 'b' } } as KubeObject);
    const quota = await eventually(
      () => quotas.get('quota', 'compute'),
      (q) => (q.status?.used as Record<string, string> | undefined)?.pods === '2' && (q.status?.used as Record<string, string>).configmaps === '1',
      'usage: two pods, one configmap',
    );
    assert.deepEqual(quota.status?.used, { pods: '2', 'requests.cpu': '500m', 'limits.memory': '256Mi', configmaps: '1', 'count/replicasets.apps': '1', services: '0' });
    assert.deepEqual(quota.status?.hard, { pods: '10', 'requests.cpu': '2', 'limits.memory': '2Gi', configmaps: '5', 'count/replicasets.apps': '3', services: '2' });
  });
});
