/**
 * The node agent with the simulated runtime, against a real in-process
 * apiserver, with the controllers and the scheduler: the cluster runs
 * end to end — pods are bound, started, reported Ready, finished and
 * deleted by the node as a kubelet would.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client } from '../../src/client/index.js';
import { controllerManager } from '../../src/controllers/index.js';
import { schedulerManager } from '../../src/scheduler/index.js';
import { NodeAgent, SimulatedRuntime } from '../../src/node/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { eventually, resources } from './harness.js';

let api: TestServer;
let client: Client;
const stop = new AbortController();

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  const controllers = controllerManager(client, { controllers: ['replicaset', 'deployment', 'job', 'garbagecollector'] });
  const scheduler = schedulerManager(client);
  void controllers.run(stop.signal);
  void scheduler.run(stop.signal);
  const agent = new NodeAgent(client, {
    identity: { name: 'sim-1', runtime: 'simulated', capacity: { cpu: '4', memory: '8Gi', pods: '110' }, address: '192.0.2.10' },
    runtime: new SimulatedRuntime({ completeAfterMs: 100 }),
    leaseRenewMs: 200,
  });
  void agent.run(stop.signal);
  await Promise.all([controllers.waitForSync(), scheduler.waitForSync()]);
});

after(async () => {
  stop.abort();
  client.close();
  await api.close();
});

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> & { conditions?: { type: string; status: string; reason?: string }[] } };

describe('node agent (simulated runtime)', () => {
  it('registers its node, Ready, with a Lease it renews', async () => {
    const node = await eventually(() => client.resource<Obj>(resources.nodes).find(undefined, 'sim-1'), (n) => n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false, 'node Ready');
    assert.equal(node!.metadata.labels?.['kubernetes.io/hostname'], 'sim-1');
    assert.deepEqual((node!.status as { allocatable?: unknown }).allocatable, { cpu: '4', memory: '8Gi', pods: '110' });
    // The Lease is the agent's next write after the node's status: wait for it rather than race it.
    const lease = (await eventually(() => client.resource<Obj>(resources.leases).find('kube-node-lease', 'sim-1'), (l) => l !== undefined, 'the node Lease'))!;
    const first = (lease.spec as { renewTime?: string }).renewTime;
    await eventually(() => client.resource<Obj>(resources.leases).get('kube-node-lease', 'sim-1'), (l) => (l.spec as { renewTime?: string }).renewTime !== first, 'lease renewed');
  });

  it('runs a Deployment: pods bound, Running and Ready, with IPs', async () => {
    const deployments = client.resource<Obj>({ group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true });
    await deployments.create({
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    } as Obj);
    await eventually(() => deployments.get('default', 'web'), (d) => (d.status as { availableReplicas?: number } | undefined)?.availableReplicas === 3, 'three available replicas');
    const pods = (await client.resource<Obj>(resources.pods).list('default', { labelSelector: 'app=web' })).items;
    for (const pod of pods) {
      assert.equal(pod.status?.phase, 'Running');
      assert.equal((pod.spec as { nodeName?: string }).nodeName, 'sim-1');
      assert.match(String(pod.status?.podIP), /^10\.42\.0\.\d+$/);
      assert.equal(pod.status?.hostIP, '192.0.2.10');
      const [container] = (pod.status as { containerStatuses: { ready: boolean; state: { running?: unknown } }[] }).containerStatuses;
      assert.ok(container.ready && container.state.running);
    }
  });

  it('runs a Job to completion', async () => {
    const jobs = client.resource<Obj>(resources.jobs);
    await jobs.create({ metadata: { name: 'once', namespace: 'default' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } } as Obj);
    const done = await eventually(() => jobs.get('default', 'once'), (j) => j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ?? false, 'Complete');
    assert.equal(done.status?.succeeded, 1);
    const [pod] = (await client.resource<Obj>(resources.pods).list('default', { labelSelector: 'batch.kubernetes.io/job-name=once' })).items;
    assert.equal(pod.status?.phase, 'Succeeded');
    const terminated = (pod.status as { containerStatuses: { state: { terminated?: { exitCode: number; reason: string } } }[] }).containerStatuses[0].state.terminated;
    assert.deepEqual([terminated?.exitCode, terminated?.reason], [0, 'Completed']);
  });

  it('finishes a graceful deletion: stops the containers, then the pod object goes', async () => {
    const pods = client.resource<Obj>(resources.pods);
    await pods.create({ metadata: { name: 'doomed', namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'nginx' }] } } as Obj);
    await eventually(() => pods.get('default', 'doomed'), (p) => p.status?.phase === 'Running', 'running');
    await pods.delete('default', 'doomed');
    await eventually(() => pods.find('default', 'doomed'), (p) => p === undefined, 'gone after the node finished it');
  });

  it('turns away pods bound past the scheduler that do not fit, with upstream\u0027s reasons', async () => {
    const pods = client.resource<Obj>(resources.pods);
    await pods.create({ metadata: { name: 'greedy', namespace: 'default' }, spec: { nodeName: 'sim-1', containers: [{ name: 'main', image: 'x', resources: { requests: { cpu: '100' } } }] } } as Obj);
    await pods.create({ metadata: { name: 'picky', namespace: 'default' }, spec: { nodeName: 'sim-1', nodeSelector: { disk: 'ssd' }, containers: [{ name: 'main', image: 'x' }] } } as Obj);
    const greedy = await eventually(() => pods.get('default', 'greedy'), (p) => p.status?.phase === 'Failed', 'greedy rejected');
    assert.equal(greedy.status?.reason, 'OutOfcpu');
    assert.match(String(greedy.status?.message), /^Pod was rejected: Node didn't have enough resource: cpu, requested: 100000, used: \d+, capacity: 4000$/);
    const picky = await eventually(() => pods.get('default', 'picky'), (p) => p.status?.phase === 'Failed', 'picky rejected');
    assert.deepEqual([picky.status?.reason, picky.status?.message], ['NodeAffinity', 'Pod was rejected: Predicate NodeAffinity failed']);
  });
});
