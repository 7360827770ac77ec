import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podAmount, usageOf } from './quota-usage.js';

const pod = (requests: Record<string, string>, extra: object = {}) => ({
  metadata: { name: 'p' },
  spec: { containers: [{ resources: { requests } }], ...extra },
  status: { phase: 'Running' },
});

test("a pod's request is the larger of its containers' sum and its largest init container", () => {
  const p = { metadata: {}, spec: { containers: [{ resources: { requests: { cpu: '100m' } } }, { resources: { requests: { cpu: '200m' } } }], initContainers: [{ resources: { requests: { cpu: '500m' } } }] } };
  assert.equal(podAmount(p, 'requests', 'cpu')?.nanos, 500_000_000n);
  assert.equal(podAmount(p, 'requests', 'memory'), undefined);
});

test('usage counts running pods and sums their requests in the first unit seen', () => {
  const objects = new Map<string, never[]>([
    ['pods', [pod({ cpu: '250m', memory: '64Mi' }), pod({ cpu: '1', memory: '64Mi' }), { ...pod({ cpu: '4' }), status: { phase: 'Succeeded' } }] as never[]],
    ['services', [{ metadata: {}, spec: { type: 'NodePort', ports: [{ nodePort: 30001 }, { nodePort: 30002 }] } }] as never[]],
  ]);
  assert.equal(usageOf('pods', objects), '2');
  assert.equal(usageOf('requests.cpu', objects), '1250m');
  assert.equal(usageOf('memory', objects), '128Mi');
  assert.equal(usageOf('services.nodeports', objects), '2');
  assert.equal(usageOf('count/widgets.example.com', objects), undefined);
  assert.equal(usageOf('pods', objects, ['BestEffort']), '0', 'scopes filter the pods');
});
