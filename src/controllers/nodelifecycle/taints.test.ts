import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evictionDelayMs, reconcileTaints } from './controller.js';

const now = new Date('2026-01-01T00:10:00Z');
const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' };

test('eviction: at once without a toleration, after tolerationSeconds from timeAdded, never without a limit', () => {
  assert.equal(evictionDelayMs([unreachable], [], now), 0);
  assert.equal(evictionDelayMs([unreachable], [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 900 }], now), 300_000);
  assert.equal(evictionDelayMs([unreachable], [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }], now), 0, 'ran out already');
  assert.equal(evictionDelayMs([unreachable], [{ operator: 'Exists' }], now), undefined);
  assert.equal(evictionDelayMs([{ key: 'x', effect: 'NoSchedule' }], [], now), undefined, 'only NoExecute evicts');
});

test('taints follow the Ready condition and spec.unschedulable, keeping timeAdded and foreign taints', () => {
  const node = (status: string | undefined, taints: object[] = [], unschedulable = false) => ({
    metadata: { name: 'n' },
    spec: { taints: taints as never, unschedulable },
    status: status ? { conditions: [{ type: 'Ready', status }] } : {},
  });
  const keys = (taints: { key: string; effect: string }[]) => taints.map((t) => `${t.key}:${t.effect}`).sort();
  assert.deepEqual(keys(reconcileTaints(node('False'), now)), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
  assert.deepEqual(reconcileTaints(node(undefined), now), [], 'a node that has not reported yet is left alone');
  const kept = reconcileTaints(node('Unknown', [unreachable, { key: 'mine', effect: 'NoSchedule' }]), now);
  assert.deepEqual(keys(kept), ['mine:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  assert.equal(kept.find((t) => t.effect === 'NoExecute')?.timeAdded, unreachable.timeAdded);
  assert.deepEqual(keys(reconcileTaints(node('True', [unreachable], true), now)), ['node.kubernetes.io/unschedulable:NoSchedule']);
});

test('pressure conditions bring their NoSchedule taints, and take them away', () => {
  const node = (conditions: { type: string; status: string }[]) => ({ metadata: { name: 'n' }, spec: {}, status: { conditions } });
  const tainted = reconcileTaints(node([{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'True' }, { type: 'DiskPressure', status: 'False' }]), now);
  assert.deepEqual(tainted.map((t) => `${t.key}:${t.effect}`), ['node.kubernetes.io/memory-pressure:NoSchedule']);
  const relieved = reconcileTaints({ ...node([{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }]), spec: { taints: tainted } }, now);
  assert.deepEqual(relieved, []);
});
