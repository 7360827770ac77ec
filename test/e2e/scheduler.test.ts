/**
 * The scheduler through kubectl: pods land on plain Node objects, and an
 * unschedulable pod says why in `kubectl describe`, in upstream's words.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from './harness.js';

const nodes = `apiVersion: v1
kind: Node
metadata: {name: gpu-node}
spec:
  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
---
apiVersion: v1
kind: Node
metadata: {name: small-node}
`;

describe('scheduler through kubectl', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
    await cluster.kubectl(['apply', '-f', '-'], { input: nodes });
    for (const node of ['gpu-node', 'small-node']) {
      await cluster.kubectl(['patch', 'node', node, '--subresource=status', '--type=merge', '-p', '{"status":{"allocatable":{"cpu":"1","memory":"1Gi","pods":"10"}}}']);
    }
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a pod that fits is bound; one that does not says why in kubectl describe', async () => {
    await cluster.kubectl(['run', 'small', '--image=nginx']);
    await waitFor(async () => (await cluster.kubectl(['get', 'pod', 'small', '-o', 'jsonpath={.spec.nodeName}'])).stdout === 'small-node', { message: 'small bound to small-node' });

    const overrides = JSON.stringify({ spec: { containers: [{ name: 'big', image: 'nginx', resources: { requests: { cpu: '2' } } }] } });
    await cluster.kubectl(['run', 'big', '--image=nginx', `--overrides=${overrides}`]);
    const described = await waitFor(async () => {
      const out = (await cluster.kubectl(['describe', 'pod', 'big'])).stdout;
      return out.includes('FailedScheduling') ? out : undefined;
    }, { message: 'a FailedScheduling event' });
    assert.match(described, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/2 nodes are available: 1 Insufficient cpu, 1 node\(s\) had untolerated taint \{dedicated: gpu\}\./);
    const condition = await cluster.kubectl(['get', 'pod', 'big', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}']);
    assert.equal(condition.stdout, 'Unschedulable');
  });
});
