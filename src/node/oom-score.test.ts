import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerOOMScoreAdj } from './oom-score.js';
import type { AgentContainer, AgentPod } from './types.js';

const gi = 1024 ** 3;
const container = (name: string, resources?: AgentContainer['resources'], restartPolicy?: string): AgentContainer => ({ name, ...(resources ? { resources } : {}), ...(restartPolicy ? { restartPolicy } : {}) });
const pod = (containers: AgentContainer[], extra: Record<string, unknown> = {}): AgentPod => ({ metadata: { name: 'p' }, spec: { containers, ...extra } }) as AgentPod;

describe('containerOOMScoreAdj: the kubelet’s oom_score_adj by QoS class', () => {
  const guaranteed = container('g', { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } });
  const cases: { name: string; pod: AgentPod; container?: AgentContainer; expected: number }[] = [
    { name: 'Guaranteed', pod: pod([guaranteed]), expected: -997 },
    { name: 'BestEffort', pod: pod([container('b')]), expected: 1000 },
    { name: 'BestEffort, but system-node-critical', pod: pod([container('b')], { priorityClassName: 'system-node-critical' }), expected: -997 },
    { name: 'Burstable asking for a quarter of the machine', pod: pod([container('q', { requests: { memory: '4Gi' } })]), expected: 750 },
    { name: 'Burstable asking for memory it cannot be given: never below 3', pod: pod([container('big', { requests: { memory: '64Gi' } })]), expected: 3 },
    { name: 'Burstable without a memory request: one below BestEffort', pod: pod([container('c', { requests: { cpu: '100m' } })]), expected: 999 },
    { name: 'Burstable, a request that does not parse counts as none', pod: pod([container('c', { requests: { cpu: '100m', memory: 'lots' } })]), expected: 999 },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.expected}`, () => assert.equal(containerOOMScoreAdj(c.pod, c.container ?? c.pod.spec!.containers![0], 16 * gi), c.expected));
  }

  it('a sidecar is kept at least as long as the smallest regular container', () => {
    const sidecar = container('log-shipper', { requests: { memory: '1Gi' } }, 'Always');
    const withSidecar = pod([container('app', { requests: { memory: '8Gi' } }), container('helper', { requests: { memory: '2Gi' } })], { initContainers: [sidecar] });
    assert.equal(containerOOMScoreAdj(withSidecar, withSidecar.spec!.containers![1], 16 * gi), 875);
    assert.equal(containerOOMScoreAdj(withSidecar, sidecar, 16 * gi), 875, 'as the 2Gi helper, not 938 of its own 1Gi');
    const plainInit = container('setup', { requests: { memory: '1Gi' } });
    assert.equal(containerOOMScoreAdj(pod([container('app', { requests: { memory: '8Gi' } })], { initContainers: [plainInit] }), plainInit, 16 * gi), 938, 'an init container that ends is no sidecar');
  });
});
