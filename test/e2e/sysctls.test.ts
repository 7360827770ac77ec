/**
 * The node admits a pod's sysctls as the kubelet does, seen through
 * kubectl: safe ones and those `--allowed-unsafe-sysctls` names run; any
 * other, or a net.* sysctl on the host network, gets the pod Failed with
 * reason SysctlForbidden, the kubelet's message and a Warning event. A
 * simulated node: admission is the agent's, whatever runs the pods.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from './harness.js';

function pod(name: string, sysctls: string[], hostNetwork = false): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { hostNetwork, securityContext: { sysctls: sysctls.map((s) => ({ name: s, value: '1' })) }, containers: [{ name: 'c', image: 'busybox' }] },
  });
}

describe('sysctls at the node', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ args: ['--runtime', 'simulated', '--allowed-unsafe-sysctls', 'net.core.somaxconn,kernel.msg*'] });
    await waitFor(async () => (await cluster.kubectl(['get', 'nodes', '-o', 'name'])).stdout.trim() !== '', { message: 'a node' });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('safe and allowed sysctls run; others are rejected with SysctlForbidden', async () => {
    const pods: [string, string[], boolean, string | undefined][] = [
      ['safe', ['net.ipv4.ip_unprivileged_port_start', 'kernel.shm_rmid_forced'], false, undefined],
      ['allowed', ['net.core.somaxconn', 'kernel.msgmax'], false, undefined],
      ['forbidden', ['net.core.rmem_max'], false, 'Pod was rejected: forbidden sysctl: "net.core.rmem_max" not allowlisted'],
      ['host-net', ['net.ipv4.ip_local_port_range'], true, 'Pod was rejected: forbidden sysctl: "net.ipv4.ip_local_port_range" not allowed with host Net enabled'],
    ];
    for (const [name, sysctls, hostNetwork] of pods) await cluster.kubectl(['apply', '-f', '-'], { input: pod(name, sysctls, hostNetwork) });
    for (const [name, , , rejected] of pods) {
      const phase = rejected ? 'Failed' : 'Running';
      await waitFor(async () => (await cluster.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout === phase, { message: `pod ${name} ${phase}` });
      if (!rejected) continue;
      const status = JSON.parse((await cluster.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status}'])).stdout) as { reason?: string; message?: string };
      assert.deepEqual({ reason: status.reason, message: status.message }, { reason: 'SysctlForbidden', message: rejected });
      const events = await cluster.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={range .items[*]}{.type} {.reason}: {.message}{"\\n"}{end}']);
      assert.match(events.stdout, new RegExp(`Warning SysctlForbidden: ${rejected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    // kubectl get shows the reason in STATUS, as for a kubelet's rejection.
    assert.match((await cluster.kubectl(['get', 'pod', 'forbidden', '--no-headers'])).stdout, /\sSysctlForbidden\s/);
  });
});
