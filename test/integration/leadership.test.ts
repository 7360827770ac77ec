/**
 * Components that lose their Lease and win it back: the controller manager
 * and the scheduler against a real in-process apiserver. The test steals the
 * Lease (another holder with a fresh renewTime), waits for the component to
 * step down, gives the Lease back, and then checks that what is created in
 * the second term is acted on — which needs fresh informers: the first
 * term's stopped when it ended.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client, microTime, type Lease, type ManagerOptions, type ResourceClient } from '../../src/client/index.js';
import { isStatusError } from '../../src/machinery/status.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { controllerManager } from '../../src/controllers/index.js';
import { schedulerManager } from '../../src/scheduler/index.js';
import type { ReplicaSet } from '../../src/api/apps/index.js';
import type { Node, Pod } from '../../src/scheduler/types.js';
import { eventually, resources } from './harness.js';

const replicaSets = { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true };

let api: TestServer;
let client: Client;
let leases: ResourceClient<Lease>;
let pods: ResourceClient<Pod>;

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  leases = client.resource<Lease>(resources.leases);
  pods = client.resource<Pod>(resources.pods);
});

after(async () => {
  client.close();
  await api.close();
});

/** Short timings, so a stolen Lease is noticed within a second. */
function election(name: string, identity: string): NonNullable<ManagerOptions['leaderElection']> {
  return { name, identity, leaseDurationMs: 1000, renewDeadlineMs: 500, retryPeriodMs: 100 };
}

/** Writes the Lease's holder as another candidate would (compare-and-swap; the component may renew meanwhile). */
async function setHolder(name: string, holderIdentity: string): Promise<void> {
  for (;;) {
    const lease = await leases.get('kube-system', name);
    try {
      await leases.update({ ...lease, spec: { ...lease.spec, holderIdentity, renewTime: microTime(new Date()), leaseDurationSeconds: 60 } });
      return;
    } catch (err) {
      if (!isStatusError(err, 'Conflict')) throw err;
    }
  }
}

/** Records the manager's log, to wait for its terms to begin and end. */
function termLog(): { log: (event: Record<string, unknown>) => void; count(msg: string): number } {
  const events: Record<string, unknown>[] = [];
  return { log: (event) => events.push(event), count: (msg) => events.filter((event) => event.msg === msg).length };
}

/** Takes the Lease away, waits for the component to step down, and gives the Lease back. */
async function loseAndRegain(lease: string, terms: ReturnType<typeof termLog>): Promise<void> {
  await setHolder(lease, 'someone-else');
  await eventually(() => terms.count('stopped leading'), (n) => n === 1, 'the component to step down');
  await setHolder(lease, '');
  await eventually(() => terms.count('became leader'), (n) => n === 2, 'the component to lead again');
}

async function createNamespace(name: string): Promise<void> {
  await client.resource(resources.namespaces).create({ metadata: { name } });
}

function replicaSet(name: string, namespace: string): ReplicaSet {
  return {
    metadata: { name, namespace },
    spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'nginx' }] } } },
  } as ReplicaSet;
}

const podsOf = (namespace: string, app: string) => pods.list(namespace, { labelSelector: `app=${app}` }).then((list) => list.items);

describe('leadership lost and regained', () => {
  it('the controller manager starts its second term from fresh informers, and a term’s end aborts its reconciles', async () => {
    const local = new AbortController();
    await createNamespace('terms');
    const terms = termLog();
    const manager = controllerManager(client, { controllers: ['replicaset'], leaderElection: election('kube-controller-manager', 'manager-1'), log: terms.log });
    // A probe controller keeps the signal each reconcile was given.
    const signals: AbortSignal[] = [];
    manager.add(() => ({
      name: 'probe',
      for: resources.configMaps,
      async reconcile(key, { signal }) {
        if (key.startsWith('terms/')) signals.push(signal);
      },
    }));
    const running = manager.run(local.signal);
    await manager.waitForSync();

    await client.resource<ReplicaSet>(replicaSets).create(replicaSet('first', 'terms'));
    await eventually(() => podsOf('terms', 'first'), (items) => items.length === 2, 'the first term’s ReplicaSet to get its pods');
    await client.resource(resources.configMaps).create({ metadata: { name: 'probe-1', namespace: 'terms' } } as KubeObject);
    const firstTerm = await eventually(() => signals.at(-1), (signal) => signal !== undefined, 'the probe reconciled in the first term');
    assert.equal(firstTerm!.aborted, false);

    await loseAndRegain('kube-controller-manager', terms);
    assert.equal(firstTerm!.aborted, true, 'the first term’s reconcile signal ended with the term');

    await client.resource<ReplicaSet>(replicaSets).create(replicaSet('second', 'terms'));
    await eventually(() => podsOf('terms', 'second'), (items) => items.length === 2, 'the second term’s ReplicaSet to get its pods');
    await client.resource(resources.configMaps).create({ metadata: { name: 'probe-2', namespace: 'terms' } } as KubeObject);
    await eventually(() => signals.at(-1), (signal) => signal !== undefined && !signal.aborted, 'the probe reconciled with a live signal in the second term');

    local.abort();
    await running;
  });

  it('the scheduler builds a new cache, queue and informers for its second term, and binds a pod created then', async () => {
    const local = new AbortController();
    const terms = termLog();
    await createNamespace('sched-terms');
    const nodes = client.resource<Node>(resources.nodes);
    await nodes.create({ metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } } });
    await nodes.patch(undefined, 'node-1', { status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' } } }, 'merge', { subresource: 'status' });
    const manager = schedulerManager(client, { leaderElection: election('kube-scheduler', 'scheduler-1'), log: terms.log });
    const running = manager.run(local.signal);
    await manager.waitForSync();

    const pod = (name: string): Pod => ({ metadata: { name, namespace: 'sched-terms' }, spec: { containers: [{ name: 'main', image: 'nginx' }] } });
    const bound = (name: string) => eventually(() => pods.get('sched-terms', name), (p) => p.spec?.nodeName === 'node-1', `${name} bound`);
    await pods.create(pod('first'));
    await bound('first');

    await loseAndRegain('kube-scheduler', terms);

    await pods.create(pod('second'));
    await bound('second');
    local.abort();
    await running;
  });
});
