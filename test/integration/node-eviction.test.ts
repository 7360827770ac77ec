/**
 * Node-pressure eviction: when the node reports memory pressure, the agent
 * evicts one pod per round by upstream's ranking — here the one of lower
 * priority — which ends Failed with reason Evicted and a DisruptionTarget
 * condition; the other keeps running.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client, priorityClassesResource } from '../../src/client/index.js';
import { NodeAgent, SimulatedRuntime } from '../../src/node/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { eventually, resources } from './harness.js';

let api: TestServer;
let client: Client;
const stop = new AbortController();
let memoryPressure = false;

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  void new NodeAgent(client, {
    identity: { name: 'squeezed', runtime: 'simulated', capacity: { cpu: '4', memory: '8Gi', pods: '110' }, address: '192.0.2.20' },
    runtime: new SimulatedRuntime(),
    leaseRenewMs: 100,
    pressure: () => ({ memory: memoryPressure, disk: false, pid: false }),
  }).run(stop.signal);
});

after(async () => {
  stop.abort();
  client.close();
  await api.close();
});

type Pod = KubeObject & { status?: { phase?: string; reason?: string; message?: string; conditions?: { type: string; status: string; reason?: string }[] } };

describe('eviction under node pressure', () => {
  it('evicts the lower-priority pod first; it ends Failed/Evicted; the other keeps running', async () => {
    await client.resource(priorityClassesResource).create({ metadata: { name: 'important' }, value: 1000 } as KubeObject);
    const pods = client.resource<Pod>(resources.pods);
    for (const [name, priorityClassName] of [['ordinary', undefined], ['vital', 'important']] as const) {
      await pods.create({ metadata: { name, namespace: 'default' }, spec: { nodeName: 'squeezed', ...(priorityClassName ? { priorityClassName } : {}), containers: [{ name: 'c', image: 'busybox' }] } } as Pod);
    }
    for (const name of ['ordinary', 'vital']) await eventually(() => pods.get('default', name), (p) => p.status?.phase === 'Running', `${name} running`);
    memoryPressure = true;
    const evicted = await eventually(() => pods.get('default', 'ordinary'), (p) => p.status?.phase === 'Failed', 'the ordinary pod evicted');
    memoryPressure = false;
    assert.equal(evicted.status?.reason, 'Evicted');
    assert.match(evicted.status?.message ?? '', /^The node was low on resource: memory\. Threshold quantity: 100Mi, available: \d+Mi\./);
    assert.deepEqual(
      evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget'),
      { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: evicted.status?.message, lastTransitionTime: (evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget') as { lastTransitionTime?: string }).lastTransitionTime },
    );
    const node = await client.resource<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(resources.nodes).get(undefined, 'squeezed');
    assert.ok(node.status?.conditions?.some((c) => c.type === 'MemoryPressure'), 'the node reports the condition');
    assert.equal((await pods.get('default', 'vital')).status?.phase, 'Running', 'the important pod stays');
  });
});
